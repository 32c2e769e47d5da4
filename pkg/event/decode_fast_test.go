package event

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// matchChange checks fastChange against the encoding/json path on b and
// reports whether the fast path took it.
func matchChange(t *testing.T, b []byte) bool {
	t.Helper()
	fc, ok := fastChange(b)
	sc, err := jsonChange(b)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("fast decoder accepted %q, encoding/json rejects it: %v", b, err)
	}
	if !reflect.DeepEqual(fc, sc) {
		t.Fatalf("decoding %q:\nfast          %#v\nencoding/json %#v", b, fc, sc)
	}
	return true
}

// matchTxMarker does the same for fastTxMarker.
func matchTxMarker(t *testing.T, b []byte) bool {
	t.Helper()
	fm, ok := fastTxMarker(b)
	var sm TxMarker
	err := json.Unmarshal(b, &sm)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("fast decoder accepted %q, encoding/json rejects it: %v", b, err)
	}
	if !reflect.DeepEqual(fm, &sm) {
		t.Fatalf("decoding %q:\nfast          %#v\nencoding/json %#v", b, fm, &sm)
	}
	return true
}

const tx = `"transaction":{"id":"x","total_order":1,"data_collection_order":1,"seq":"0000000003.00000000000000012345.0000000000"}`

// TestFastDecodeMatchesEncodingJSON lists envelopes the fast decoder must
// read (fast: true) with encoding/json's result, and inputs it must leave
// to encoding/json (fast: false).
func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	changes := []struct {
		in   string
		fast bool
	}{
		{string(benchInsert(t)), true},
		{string(benchUpdate(t)), true},
		{`{"op":"c","after":{},"before":null,` + tx + `}`, true},
		{" \t\r\n{ \"op\" : \"d\" , \"before\" : { \"id\" : [ 1 , { } , [ ] ] } , " + tx + " } \n", true},
		{`{"op":"c","after":{"a\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00b":"x\u0000\ud83d"},` + tx + `}`, true},
		{`{"op":"c","after":{"lone\udc00\ud800x\ud800\u0041":1},` + tx + `}`, true},
		{`{"op":"c","after":{"raw":"` + "\xff\xfe" + `"},` + tx + `}`, true}, // raw values are not UTF-8-checked, as in encoding/json
		{`{"op":"c","after":{"k":-0.5e-3,"n":null,"t":true,"f":false},"ts_ms":-9223372036854775808,` + tx + `}`, true},
		{`{"op":"c","source":{"version":"1","connector":"mysql","name":"n","ts_ms":1,"snapshot":"false","db":"d","table":"t","server_id":4294967295,"gtid":null,"file":"f","pos":4,"row":-1,"thread":7,"query":"q"},` + tx + `}`, true},
		{`{"op":null,"ts_ms":null,"source":null,"transaction":{"id":null,"total_order":null,"seq":null}}`, true},
		{`{"op":"c","after":{"` + "\xff" + `":1},` + tx + `}`, false}, // encoding/json coerces the key to U+FFFD
		{`{"OP":"c",` + tx + `}`, false},
		{`{"op":"c","schema":{},` + tx + `}`, false},
		{`{"op":"c","op":"d",` + tx + `}`, false},
		{`{"op":"c",` + tx + `} x`, false},
		{`{"op":1,` + tx + `}`, false},
		{`{"op":"c","ts_ms":1e3,` + tx + `}`, false},
		{`{"op":"c","ts_ms":9223372036854775808,` + tx + `}`, false},
		{`{"op":"c","source":{"server_id":4294967296},` + tx + `}`, false},
		{`{"op":"c","source":{"pos":-0},` + tx + `}`, false},
		{`{"op":"c","after":{"a":'x'},` + tx + `}`, false},
		{`{"op":"c\'",` + tx + `}`, false},
		{"{\"op\":\"c\t\"," + tx + "}", false},
		{`{"op":"c","after":{"a":nullx},` + tx + `}`, false},
		{`{"op":"c","after":{"a":01},` + tx + `}`, false},
		{`{"op":"c","after":{"a":1,},` + tx + `}`, false},
		{`{"op":"c","after":{"a":` + strings.Repeat("[", 99) + strings.Repeat("]", 99) + `},` + tx + `}`, true},
		{`{"op":"c","after":{"a":` + strings.Repeat("[", 101) + strings.Repeat("]", 101) + `},` + tx + `}`, false},
		{`null`, false},
		{``, false},
	}
	for i, c := range changes {
		if got := matchChange(t, []byte(c.in)); got != c.fast {
			t.Errorf("change %d %q: fast path took it: %v, want %v", i, c.in, got, c.fast)
		}
	}
	markers := []struct {
		in   string
		fast bool
	}{
		{string(benchMarker(t)), true},
		{`{"status":"BEGIN","id":"x"}`, true},
		{`{"status":"END","truncate":["a",null],"snapshot":true,"data_collections":[],"partitions":[null],"range":null,"ddl":null}`, true},
		{`{"status":"END","partitions":[{"topic":"t","partition":-1,"count":18446744073709551615}]}`, true},
		{`{"status":"END","partitions":[{"count":18446744073709551616}]}`, false},
		{`{"status":"END","range":{"table":"a.b","after":null,"through":{"id":3}}}`, false},
		{`{"status":"END","ddl":{}}`, false},
		{`{"status":"END","Status":"BEGIN"}`, false},
		{`{"status":"END","snapshot":1}`, false},
		{`{"status":"END","partitions":[{"count":1},{"count":2}],"partitions":[{"topic":"t"}]}`, false},
	}
	for i, c := range markers {
		if got := matchTxMarker(t, []byte(c.in)); got != c.fast {
			t.Errorf("marker %d %q: fast path took it: %v, want %v", i, c.in, got, c.fast)
		}
	}
}

// TestFastDecodeRawValuesIsolated checks that column values, slices of one
// buffer, neither alias the caller's input nor can overwrite each other.
func TestFastDecodeRawValuesIsolated(t *testing.T) {
	in := []byte(`{"op":"c","after":{"a":1,"b":2},` + tx + `}`)
	c, err := DecodeChange(in)
	if err != nil {
		t.Fatal(err)
	}
	a := c.After["a"].(json.RawMessage)
	_ = append(a, '9')
	copy(in, strings.Repeat("x", len(in)))
	if got := fmt.Sprintf("%s %s", c.After["a"], c.After["b"]); got != "1 2" {
		t.Fatalf("values changed under the caller's writes: %s", got)
	}
}

// corpus returns the checked-in fuzz inputs of target.
func corpus(f *testing.F, target string) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	if len(files) == 0 {
		f.Fatalf("no corpus for %s", target)
	}
	var out [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)
		lit := strings.TrimSuffix(strings.TrimPrefix(lines[len(lines)-1], "[]byte("), ")")
		s, err := strconv.Unquote(lit)
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		out = append(out, []byte(s))
	}
	return out
}

// FuzzFastChangeMatchesEncodingJSON: whatever fastChange accepts,
// encoding/json accepts with the same result.
func FuzzFastChangeMatchesEncodingJSON(f *testing.F) {
	for _, b := range corpus(f, "FuzzDecodeChange") {
		f.Add(b)
	}
	f.Add(benchUpdate(f))
	f.Add([]byte(`{"op":"c","after":{"a\u00e9\ud83d\ude00\ud800":"\u0000"},"source":{"gtid":"g","thread":1},` + tx + `}`))
	f.Fuzz(func(t *testing.T, b []byte) { matchChange(t, b) })
}

// FuzzFastTxMarkerMatchesEncodingJSON does the same for fastTxMarker.
func FuzzFastTxMarkerMatchesEncodingJSON(f *testing.F) {
	for _, b := range corpus(f, "FuzzDecodeTxMarker") {
		f.Add(b)
	}
	f.Add(benchMarker(f))
	f.Add([]byte(`{"status":"END","truncate":["a\u00e9",null],"snapshot":false,"data_collections":[{"data_collection":"a","event_count":1},null]}`))
	f.Fuzz(func(t *testing.T, b []byte) { matchTxMarker(t, b) })
}
