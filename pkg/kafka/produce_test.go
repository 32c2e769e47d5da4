package kafka

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// TestProduceSplitsLargeBatches: one Produce of records that together are
// several times the broker's message limit is written whole and in order
// (the broker refuses a record batch over its limit, so Produce must split).
func TestProduceSplitsLargeBatches(t *testing.T) {
	b, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), MaxMessageBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := NewClient([]string{b.Addr()}, 0, 1<<20)
	if _, err := c.EnsureTopic(ctx, TopicSpec{Name: "big", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	const n = 4000 // ~4 MiB: four times the limit
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Key: []byte(fmt.Sprint(i)), Value: bytes.Repeat([]byte{byte('a' + i%26)}, 1000)}
	}
	first, err := c.Produce(ctx, "big", 0, recs)
	if err != nil {
		t.Fatalf("produce of %d records of 1000 bytes: %v", n, err)
	}
	if first != 0 {
		t.Errorf("first offset %d, want 0", first)
	}
	r, err := c.NewPartitionReader(ctx, "big", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range n {
		rec, err := r.Fetch(ctx)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if string(rec.Key) != fmt.Sprint(i) || !bytes.Equal(rec.Value, recs[i].Value) {
			t.Fatalf("record %d: key %q, want %d", i, rec.Key, i)
		}
	}
}
