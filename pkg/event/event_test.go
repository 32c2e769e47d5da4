package event

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestSeqOrder(t *testing.T) {
	ordered := []Seq{
		"",
		MakeSeq(1, 4, 0),
		MakeSeq(1, 999, 0),
		MakeSeq(1, 1000, 0),
		MakeSeq(1, 1000, 7),
		MakeSeq(2, 4, 0),
		MakeSeq(10, 4, 0),
	}
	for i := 1; i < len(ordered); i++ {
		if !ordered[i-1].Less(ordered[i]) || ordered[i].Less(ordered[i-1]) {
			t.Errorf("%q should come before %q", ordered[i-1], ordered[i])
		}
		if !ordered[i].Valid() {
			t.Errorf("%q not valid", ordered[i])
		}
	}
	for _, bad := range []Seq{"", "1.2.3", "x", Seq(strings.Repeat("1", 42))} {
		if bad.Valid() {
			t.Errorf("%q reported valid", bad)
		}
	}
}

func TestBinlogFileNumber(t *testing.T) {
	for in, want := range map[string]uint64{"mysql-bin.000042": 42, "mariadb-bin.1000000": 1000000, "a.b.000003": 3} {
		got, err := BinlogFileNumber(in)
		if err != nil || got != want {
			t.Errorf("BinlogFileNumber(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"nodot", "trailing.", "x.abc"} {
		if _, err := BinlogFileNumber(bad); err == nil {
			t.Errorf("BinlogFileNumber(%q) accepted", bad)
		}
	}
}

func TestPartitionForStableAndSpread(t *testing.T) {
	counts := make([]int, 3)
	for i := 0; i < 3000; i++ {
		k, _ := EncodeKey(Row{"id": i})
		p := PartitionFor(k, 3)
		if p != PartitionFor(k, 3) {
			t.Fatal("not deterministic")
		}
		counts[p]++
	}
	for p, c := range counts {
		if c < 800 {
			t.Errorf("partition %d got %d of 3000 keys", p, c)
		}
	}
	if PartitionFor([]byte("x"), 1) != 0 || PartitionFor([]byte("x"), 0) != 0 {
		t.Error("single partition must be 0")
	}
}

func TestTxMarkerRoundTripAndValidation(t *testing.T) {
	m := TxMarker{Status: "END", ID: "0-1-5", EventCount: 3, Seq: MakeSeq(1, 100, 0),
		Partitions: []PartitionCount{{Topic: "a", Partition: 0, Count: 1}, {Topic: "a", Partition: 2, Count: 2}}}
	b, _ := m.Encode()
	got, err := DecodeTxMarker(b)
	if err != nil || got.EventCount != 3 || len(got.Partitions) != 2 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	m.EventCount = 4
	b, _ = m.Encode()
	if _, err := DecodeTxMarker(b); err == nil {
		t.Error("a marker whose partition counts disagree with event_count was accepted")
	}
	for _, bad := range []string{`not json`, `{"status":"WHAT"}`, `{"status":"END","seq":"1"}`} {
		if _, err := DecodeTxMarker([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestChangeKeepsNumbersExact(t *testing.T) {
	in := `{"before":null,"after":{"id":18446744073709551615,"d":"0.1000"},"op":"c","ts_ms":1,` +
		`"source":{"db":"s","table":"t"},"transaction":{"id":"x","total_order":1,"data_collection_order":1,"seq":"` + string(MakeSeq(1, 2, 0)) + `"}}`
	c, err := DecodeChange([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := c.After["id"].(json.RawMessage)
	if !ok {
		t.Fatalf("id = %#v, want raw JSON", c.After["id"])
	}
	if v, err := DecodeValue(raw); err != nil || v.(json.Number).String() != "18446744073709551615" {
		t.Errorf("id = %#v, %v", v, err)
	}
	if c.Table() != "s.t" {
		t.Errorf("Table() = %q", c.Table())
	}
	for _, bad := range []string{`{}`, `{"op":"x","transaction":{}}`, `{"op":"c"}`, `[`} {
		if _, err := DecodeChange([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestMakeSeqMatchesFormat: MakeSeq writes what its fixed-width format
// says, at the fields' limits too.
func TestMakeSeqMatchesFormat(t *testing.T) {
	for _, v := range [][3]uint64{{0, 0, 0}, {1, 4, 0}, {12, 123456789, 3}, {9999999999, math.MaxUint64, 9999999999}, {10000000000, 1, 10000000001}} {
		want := fmt.Sprintf("%010d.%020d.%010d", v[0], v[1], v[2])
		if got := MakeSeq(v[0], v[1], v[2]); string(got) != want {
			t.Errorf("MakeSeq(%v) = %s, want %s", v, got, want)
		}
	}
}
