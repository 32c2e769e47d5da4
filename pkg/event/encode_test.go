package event

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// The hand-written encoder must write exactly what json.Marshal writes:
// sinks and other consumers already hold envelopes encoded either way.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	gtid, q, thread := "0-1-2", "UPDATE t SET a='<&>'", uint32(7)
	values := []any{
		nil, "", "plain", "quote\" back\\slash", "ctl\x00\x01\x1f\b\f\n\r\t", "<html>&amp;", "é ü 日本 🙂",
		"bad\xffutf8\xc3", "sep\u2028\u2029end", "\x7f",
		int64(math.MinInt64), int64(-1), int64(0), uint64(math.MaxUint64), int(42), int32(-7), uint32(7), true, false,
		0.0, -0.0, 1.5, 1e-7, 1e-6, 123456789.125, 1e20, 1e21, 1.7976931348623157e308, 5e-324, -2.5e-10,
		[]byte(nil), []byte{}, []byte{0, 1, 2, 0xff}, json.RawMessage(`{"b" : [1, 2.50, "<x>"], "a":null}`),
		json.RawMessage(nil), json.Number("12.3400"), map[string]any{"z": 1, "a": []any{"x"}}, int8(3), float32(0.1),
	}
	row := Row{}
	for i, v := range values {
		row[string(rune('A'+i))+"\u2028<k>"] = v
	}
	changes := []*Change{
		{Op: OpTruncate},
		{Before: Row{}, After: row, Op: OpCreate, TsMs: -5,
			Source:      Source{Version: "v<1>", Name: "n\"", GTID: &gtid, Thread: &thread, Query: &q, ServerID: math.MaxUint32, Pos: 9, Row: -1},
			Transaction: &Transaction{ID: "a&b", TotalOrder: math.MaxUint64, Seq: MakeSeq(1, 2, 3)}},
		benchChange(),
	}
	for i, c := range changes {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Encode()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("change %d:\n got %s (%v)\nwant %s", i, got, err, want)
		}
		for _, r := range []Row{c.Before, c.After} {
			want, _ := json.Marshal(r)
			if got, err := EncodeKey(r); err != nil || !bytes.Equal(got, want) {
				t.Errorf("row of change %d:\n got %s (%v)\nwant %s", i, got, err, want)
			}
		}
	}
	// Rows with as many keys but other names, alternating: the cache of
	// sorted keys (by count) must not lend one row's keys to the other.
	for i, r := range []Row{{"a": 1, "b": 2}, {"a": 1, "c": 3}, {"b": 2, "a": 1}, {"x": nil, "c": 3}, {"a": 1, "b": 2}} {
		want, _ := json.Marshal(r)
		if got, err := EncodeKey(r); err != nil || !bytes.Equal(got, want) {
			t.Errorf("alternating row %d:\n got %s (%v)\nwant %s", i, got, err, want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(-1), json.RawMessage(`{`), make(chan int)} {
		if _, err := EncodeKey(Row{"k": bad}); err == nil {
			t.Errorf("%#v: no error; json.Marshal refuses it", bad)
		}
	}
}

// FuzzEncodeMatchesEncodingJSON compares the encoders on arbitrary text,
// numbers and bytes.
func FuzzEncodeMatchesEncodingJSON(f *testing.F) {
	f.Add("a<b>&\u2028\xff", int64(-3), uint64(4), 0.1, []byte{0, 1})
	f.Add("", int64(0), uint64(0), 1e21, []byte(nil))
	f.Fuzz(func(t *testing.T, s string, i int64, u uint64, fl float64, b []byte) {
		c := &Change{After: Row{s: s, "i": i, "u": u, "f": fl, "b": b}, Op: Op(s), Source: Source{DB: s, GTID: &s},
			Transaction: &Transaction{ID: s, Seq: Seq(s)}}
		want, werr := json.Marshal(c)
		got, err := c.Encode()
		if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("\n got %s (%v)\nwant %s (%v)", got, err, want, werr)
		}
	})
}

// decodeWithDecoder is DecodeValue without its fast path.
func decodeWithDecoder(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// TestDecodeValueMatchesDecoder: DecodeValue's direct reading of scalars
// gives what encoding/json gives, and leaves everything else to it.
func TestDecodeValueMatchesDecoder(t *testing.T) {
	for _, raw := range []string{
		`null`, `true`, `false`, `0`, `-0`, `12`, `-12.50`, `1e5`, `1E+05`, `-0.0e-7`, `18446744073709551615`,
		`""`, `"plain"`, `"é 🙂"`, `"a\"b"`, `"\u00e9"`, `"tab\tin"`, "\"bad\xff\"", `"<&>"`,
		`"line\nnext \"q\" \\ \/"`, `"\ud83d\ude42"`, `"\ud83d"`, `"\ud83dx"`, `"\u0000"`, `"\x"`, " \"sp\" ", "\"raw\nnl\"",
		`01`, `1.`, `.5`, `-`, `1e`, `+1`, `nul`, `"open`, ` 1`, `1 `, `{"a":1}`, `[1,"x"]`, ``, `"`, `NaN`,
	} {
		want, werr := decodeWithDecoder([]byte(raw))
		got, err := DecodeValue(json.RawMessage(raw))
		if (err != nil) != (werr != nil) || (err == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q: got %#v (%v), encoding/json gives %#v (%v)", raw, got, err, want, werr)
		}
	}
}

// FuzzDecodeValueMatchesDecoder compares both readers on arbitrary input.
func FuzzDecodeValueMatchesDecoder(f *testing.F) {
	for _, s := range []string{`-12.5e3`, `"x"`, `null`, "\"\xff\"", `0x1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, ok := decodeScalar(raw); !ok {
			return // encoding/json reads it
		}
		want, werr := decodeWithDecoder(raw)
		got, err := DecodeValue(raw)
		if werr != nil || err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v (%v), encoding/json gives %#v (%v)", raw, got, err, want, werr)
		}
	})
}
