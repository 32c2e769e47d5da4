package kafka

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestProduceSplitsLargeBatches: one Produce of records that together are
// several times the broker's message limit is written whole and in order
// (the broker refuses a record batch over its limit, so Produce must split),
// with each kafka.compression codec; an unknown codec is an error naming it.
func TestProduceSplitsLargeBatches(t *testing.T) {
	b, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), MaxMessageBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 4000 // ~4 MiB: four times the limit
	for name := range Compressions {
		produceAndReadBack(ctx, t, NewClient([]string{b.Addr()}, 0, 1<<20, WithCompression(name)), "big-"+name, n)
	}
	// Records that do not compress: a request packed for compression is
	// refused as too large, and Produce sends them again in smaller ones.
	c := NewClient([]string{b.Addr()}, 0, 1<<20, WithCompression("lz4"))
	if _, err := c.EnsureTopic(ctx, TopicSpec{Name: "random", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	recs := make([]Record, n)
	for i := range recs {
		recs[i].Value = make([]byte, 1000)
		for j := range recs[i].Value {
			recs[i].Value[j] = byte(rnd.Uint32())
		}
	}
	if _, err := c.Produce(ctx, "random", 0, recs); err != nil {
		t.Fatalf("incompressible records with lz4: %v", err)
	}
	if _, end, err := c.Offsets(ctx, "random", 0); err != nil || end != n {
		t.Errorf("incompressible records with lz4: partition ends at %d (%v), want %d", end, err, n)
	}
	if got := c.requestLimit(); got != 1<<20 {
		t.Errorf("request limit after refusals: %d, want MaxMessageBytes", got)
	}
	c = NewClient([]string{b.Addr()}, 0, 1<<20, WithCompression("brotli"))
	if _, err := c.Produce(ctx, "big-none", 0, []Record{{Value: []byte("x")}}); err == nil || !strings.Contains(err.Error(), `"brotli"`) {
		t.Errorf("unknown codec: got %v, want an error naming it", err)
	}
}

// produceAndReadBack produces n records of 1000 bytes to a new topic in one
// Produce and reads them back.
func produceAndReadBack(ctx context.Context, t *testing.T, c *Client, topic string, n int) {
	t.Helper()
	if _, err := c.EnsureTopic(ctx, TopicSpec{Name: topic, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Key: []byte(fmt.Sprint(i)), Value: bytes.Repeat([]byte{byte('a' + i%26)}, 1000)}
	}
	first, err := c.Produce(ctx, topic, 0, recs)
	if err != nil {
		t.Fatalf("%s: produce of %d records of 1000 bytes: %v", topic, n, err)
	}
	if first != 0 {
		t.Errorf("%s: first offset %d, want 0", topic, first)
	}
	r, err := c.NewPartitionReader(ctx, topic, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range n {
		rec, err := r.Fetch(ctx)
		if err != nil {
			t.Fatalf("%s: record %d: %v", topic, i, err)
		}
		if string(rec.Key) != fmt.Sprint(i) || !bytes.Equal(rec.Value, recs[i].Value) {
			t.Fatalf("%s: record %d: key %q, want %d", topic, i, rec.Key, i)
		}
	}
}
