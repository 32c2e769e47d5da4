package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// pubFixture is a publisher on an embedded broker, its position at pos0.
func pubFixture(t *testing.T, createTxTopic bool) (context.Context, *kafka.Client, *Publisher) {
	t.Helper()
	b, err := kafka.StartEmbedded(kafka.EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), MaxMessageBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c := kafka.NewClient([]string{b.Addr()}, 0, 1<<20)
	topics := event.Topics{Pipeline: "p", Source: "src"}
	if createTxTopic {
		if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: topics.Transaction(), Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	pub := New(c, topics, 3, metrics.New(), [2]string{"p", "src"})
	t.Cleanup(pub.Close)
	pub.Acked, pub.Committed = pubPos(0), pubPos(0)
	return ctx, c, pub
}

func pubPos(tx int) event.Position { return event.Position{File: "bin.000001", Pos: uint64(1000 + tx)} }

// queueTx adds transaction tx of rows rows (ids tx*rows+i) and commits it,
// sending batches of 700 rows the way the reader does: without waiting. It
// returns the first error of a send.
func queueTx(ctx context.Context, t *testing.T, pub *Publisher, tx, rows int) error {
	t.Helper()
	pub.Begin(fmt.Sprintf("tx%d", tx), event.MakeSeq(1, uint64(1000+tx), 0), false)
	for i := range rows {
		id := int64(tx*rows + i)
		ch := &event.Change{After: event.Row{"id": id, "pad": "row"}, Op: event.OpCreate,
			Source: event.Source{DB: "shop", Table: "t", File: "bin.000001", Pos: uint32(1000 + tx)}}
		if err := pub.Add(ctx, ch, event.Row{"id": id}); err != nil {
			t.Fatal(err)
		}
		if pub.Due(700, FlushBytes, time.Hour) {
			if err := pub.Send(ctx); err != nil {
				return err
			}
		}
	}
	return pub.Commit(pubPos(tx+1), 0)
}

// readAll returns the values of a partition.
func readAll(ctx context.Context, t *testing.T, c *kafka.Client, topic string, partition int) [][]byte {
	t.Helper()
	_, end, err := c.Offsets(ctx, topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	if end == 0 {
		return nil
	}
	r, err := c.NewPartitionReader(ctx, topic, partition, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]byte
	for int64(len(out)) < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.Value)
	}
	return out
}

// TestPublisherPipeline: transactions bigger than a batch, sent while
// earlier batches are still in flight, reach Kafka whole and in order: each
// partition holds its rows in read order, each marker counts exactly the
// rows of its transaction per partition, and the acknowledged position is
// only ever a transaction boundary, the last one after Flush.
func TestPublisherPipeline(t *testing.T) {
	ctx, c, pub := pubFixture(t, true)
	const txs, rows = 6, 2500
	boundaries := map[event.Position]bool{pubPos(0): true}
	for tx := range txs {
		if err := queueTx(ctx, t, pub, tx, rows); err != nil {
			t.Fatal(err)
		}
		boundaries[pubPos(tx+1)] = true
		if err := pub.Reap(ctx, false); err != nil {
			t.Fatal(err)
		}
		if !boundaries[pub.Acked] {
			t.Fatalf("after tx %d the acknowledged position is %s, not a transaction boundary read so far", tx, pub.Acked)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if pub.Acked != pubPos(txs) {
		t.Fatalf("after Flush acked = %s, want %s", pub.Acked, pubPos(txs))
	}
	topic := pub.topics.Table("shop", "t")
	perPart := map[int]map[string]uint64{} // partition -> tx id -> rows
	seen := 0
	for p := range 3 {
		perPart[p] = map[string]uint64{}
		last := int64(-1)
		for _, v := range readAll(ctx, t, c, topic, p) {
			ch, err := event.DecodeChange(v)
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			fmt.Sscan(string(ch.After["id"].(json.RawMessage)), &id)
			if id <= last {
				t.Fatalf("partition %d: id %d after %d", p, id, last)
			}
			last = id
			perPart[p][ch.Transaction.ID]++
			seen++
		}
	}
	if seen != txs*rows {
		t.Errorf("%d rows in the table topic, want %d", seen, txs*rows)
	}
	markers := readAll(ctx, t, c, pub.topics.Transaction(), 0)
	if len(markers) != txs {
		t.Fatalf("%d markers, want %d", len(markers), txs)
	}
	for i, v := range markers {
		m, err := event.DecodeTxMarker(v)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != fmt.Sprintf("tx%d", i) || m.EventCount != rows || m.Position != pubPos(i+1) {
			t.Errorf("marker %d: id %s, %d rows, position %s", i, m.ID, m.EventCount, m.Position)
		}
		for _, pc := range m.Partitions {
			if got := perPart[pc.Partition][m.ID]; got != pc.Count {
				t.Errorf("marker %s counts %d rows on partition %d, the partition holds %d", m.ID, pc.Count, pc.Partition, got)
			}
		}
	}
}

// TestPublisherHaltsOnFailure: once a batch fails (here its marker: the
// transaction topic does not exist), the position stays before it, every
// later send returns the error, and nothing more is produced.
func TestPublisherHaltsOnFailure(t *testing.T) {
	ctx, c, pub := pubFixture(t, false)
	// Produce waits up to 8 s for a topic it does not know; the batch fails
	// sooner with its context.
	txCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := queueTx(txCtx, t, pub, 0, 1000); err != nil {
		t.Fatal(err) // the first 700 rows carry no marker: they are produced
	}
	if err := pub.Flush(txCtx); err == nil {
		t.Fatal("Flush succeeded with no transaction topic")
	}
	if err := queueTx(ctx, t, pub, 1, 1000); err == nil {
		t.Fatal("queueing after a failed batch succeeded")
	}
	if err := pub.Send(ctx); err == nil {
		t.Fatal("Send after a failed batch succeeded")
	}
	if err := pub.Flush(ctx); err == nil {
		t.Fatal("Flush after a failed batch succeeded")
	}
	if pub.Acked != pubPos(0) {
		t.Errorf("acked = %s after a failed batch, want %s", pub.Acked, pubPos(0))
	}
	n := 0
	for p := range 3 {
		n += len(readAll(ctx, t, c, pub.topics.Table("shop", "t"), p))
	}
	if n > 1000 {
		t.Errorf("%d rows produced; only the first transaction's 1000 may be", n)
	}
}
