package event

import (
	"bytes"
	"testing"
)

// Seeds beyond these are in testdata/fuzz/<Target>/; both run in every
// `go test`. Run longer with -fuzz.

var seedSeq = string(MakeSeq(3, 12345, 0))

// FuzzDecodeChange feeds arbitrary bytes, as a table topic could hold, to
// DecodeChange: it must not panic, and what it accepts must encode and
// decode again to the same encoding (the sink re-reads what it wrote).
func FuzzDecodeChange(f *testing.F) {
	f.Add([]byte(`{"before":null,"after":{"id":1,"name":"a\"b` + "`" + `c","v":"é"},"op":"c","ts_ms":1,` +
		`"source":{"db":"shop","table":"odd` + "`" + `t'b","file":"f.000001","pos":4},` +
		`"transaction":{"id":"x","total_order":1,"data_collection_order":1,"seq":"` + seedSeq + `"}}`))
	f.Add([]byte(`{"before":{"id":1},"after":null,"op":"d","transaction":{"id":"x","seq":"` + seedSeq + `"}}`))
	f.Add([]byte(`{"op":"u","before":{"k":[1,{"a":null}]},"after":{"k":1e400},"transaction":{}}`))
	f.Add([]byte(`{"op":"t","transaction":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeChange(b)
		if err != nil {
			return
		}
		enc, err := c.Encode()
		if err != nil {
			return // e.g. a raw value encoding/json refuses to re-emit
		}
		c2, err := DecodeChange(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		enc2, err := c2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable:\n%s\n%s (%v)", enc, enc2, err)
		}
	})
}

// FuzzDecodeTxMarker does the same for transaction-topic markers, which
// decide how many rows the sink takes from each partition.
func FuzzDecodeTxMarker(f *testing.F) {
	f.Add([]byte(`{"status":"END","id":"x","event_count":2,"seq":"` + seedSeq + `",` +
		`"partitions":[{"topic":"t","partition":0,"count":1},{"topic":"t","partition":1,"count":1}],"position":{"file":"f","pos":4}}`))
	f.Add([]byte(`{"status":"BEGIN","id":"x"}`))
	f.Add([]byte(`{"status":"END","event_count":0,"seq":"` + seedSeq + `","truncate":["shop.t"],"snapshot":true}`))
	f.Add([]byte(`{"status":"END","event_count":18446744073709551615,"seq":"` + seedSeq + `","partitions":[{"count":18446744073709551615},{"count":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeTxMarker(b)
		if err != nil || m.Status != "END" {
			return
		}
		var n uint64
		for _, p := range m.Partitions {
			n += p.Count
		}
		if n != m.EventCount {
			t.Fatalf("accepted a marker whose partitions count %d rows and event_count %d", n, m.EventCount)
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeTxMarker(enc); err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
	})
}

// FuzzDecodeSchemaRecord feeds the schema topic's records (table
// definitions a sink creates tables from) to DecodeSchemaRecord.
func FuzzDecodeSchemaRecord(f *testing.F) {
	f.Add([]byte(`{"table":{"db":"shop","table":"t","columns":[{"name":"id","type":"int"}],"primary_key":["id"]}}`))
	f.Add([]byte(`{"table":null,"dropped":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeSchemaRecord(b)
	})
}
