package event

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchChange is a row change shaped like the update-heavy workload of
// sluice-bench: 20 columns of integers, text, decimals, datetimes and a
// JSON document, in the value forms package value produces.
func benchChange() *Change {
	row := func(v int64) Row {
		r := Row{"id": v, "k": v * 7, "c": strings.Repeat("x", 120), "pad": strings.Repeat("y", 60),
			"price": "1234.56", "created": "2024-05-06T07:08:09.123456Z", "doc": json.RawMessage(`{"a":[1,2,3],"b":"<tag>"}`),
			"bin": []byte{0, 1, 2, 3, 250}, "ratio": 0.125, "note": nil, "flag": uint64(1)}
		for i := range 9 {
			r["n"+string(rune('a'+i))] = v + int64(i)
		}
		return r
	}
	gtid := "0-1-12345"
	thread := uint32(42)
	return &Change{
		Before: row(1), After: row(2), Op: OpUpdate, TsMs: 1700000000000,
		Source: Source{Version: "0.1.0", Connector: "mysql", Name: "bench", TsMs: 1700000000000, Snapshot: "false",
			DB: "bench", Table: "wide", ServerID: 1, GTID: &gtid, File: "mariadb-bin.000001", Pos: 123456, Row: 3, Thread: &thread},
		Transaction: &Transaction{ID: gtid, TotalOrder: 17, DataCollectionOrder: 17, Seq: MakeSeq(1, 123000, 0)},
	}
}

func BenchmarkChangeEncode(b *testing.B) {
	ch := benchChange()
	enc, _ := ch.Encode()
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeKey(b *testing.B) {
	key := Row{"id": int64(123456789)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeKey(key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPartitionFor(b *testing.B) {
	key := []byte(`{"id":123456789}`)
	b.ReportAllocs()
	for b.Loop() {
		PartitionFor(key, 12)
	}
}

func BenchmarkTxMarkerEncode(b *testing.B) {
	m := &TxMarker{Status: "END", ID: "0-1-12345", TsMs: 1700000000000, EventCount: 1000, Seq: MakeSeq(1, 123000, 0),
		Position:        Position{File: "mariadb-bin.000001", Pos: 999999, GTID: "0-1-12345"},
		DataCollections: []DataCollection{{DataCollection: "bench.wide", EventCount: 1000}},
		Partitions:      []PartitionCount{{Topic: "p.bench.wide", Partition: 0, Count: 330}, {Topic: "p.bench.wide", Partition: 1, Count: 340}, {Topic: "p.bench.wide", Partition: 2, Count: 330}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeValue reads the raw column values of one 20-column row the
// way a sink does.
func BenchmarkDecodeValue(b *testing.B) {
	var raws []json.RawMessage
	enc, err := EncodeKey(benchChange().After)
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(enc, &m); err != nil {
		b.Fatal(err)
	}
	for _, r := range m {
		raws = append(raws, r)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range raws {
			if _, err := DecodeValue(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
