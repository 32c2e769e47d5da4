package event

import (
	"strings"
	"testing"
)

// benchInsert is the insert of a 20-column row, as a table topic holds it.
func benchInsert(tb testing.TB) []byte {
	ch := benchChange()
	ch.Op, ch.Before = OpCreate, nil
	enc, err := ch.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

// benchUpdate is an update of the same row with before and after images.
func benchUpdate(tb testing.TB) []byte {
	enc, err := benchChange().Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

// benchMarker is the marker of a transaction whose rows went to several
// partitions of two tables.
func benchMarker(tb testing.TB) []byte {
	m := &TxMarker{Status: "END", ID: "0-1-12345", TsMs: 1700000000000, EventCount: 1000, Seq: MakeSeq(1, 123000, 0),
		Position:        Position{File: "mariadb-bin.000001", Pos: 999999, GTID: "0-1-12345"},
		DataCollections: []DataCollection{{DataCollection: "bench.wide", EventCount: 600}, {DataCollection: "bench.burst", EventCount: 400}}}
	for i := range 6 {
		topic := "p.bench.wide"
		if i >= 3 {
			topic = "p.bench.burst"
		}
		m.Partitions = append(m.Partitions, PartitionCount{Topic: topic, Partition: i % 3, Count: [6]uint64{200, 200, 200, 100, 150, 150}[i]})
	}
	enc, err := m.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

func benchDecodeChange(b *testing.B, enc []byte) {
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeChange(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChangeInsert(b *testing.B) { benchDecodeChange(b, benchInsert(b)) }
func BenchmarkDecodeChangeUpdate(b *testing.B) { benchDecodeChange(b, benchUpdate(b)) }

func BenchmarkDecodeTxMarker(b *testing.B) {
	enc := benchMarker(b)
	if !strings.Contains(string(enc), `"partitions"`) {
		b.Fatal("marker without partitions")
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeTxMarker(enc); err != nil {
			b.Fatal(err)
		}
	}
}
