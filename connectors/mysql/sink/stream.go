package sink

import (
	"context"
	"fmt"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Large transactions are applied while they are read. A source
// transaction's rows are spread over the partitions of its tables' topics,
// each partition holding them in the transaction's order; collect reads
// them all, then sorts them, which holds the whole transaction in memory
// (about 2 KB per decoded row). A transaction of more than
// streamTxRows rows (and more than batch_rows) is instead merged from its
// partitions by transaction.total_order and applied in chunks of
// streamChunkRows rows, inside the one replica transaction that also
// records the offsets: the replica still sees it atomically, and the
// sink's memory is bounded by the readers' buffers and one chunk.
// Transactions that truncate, re-sync a key range or change the schema
// are never large in this sense; they take the ordinary path.
const (
	streamTxRows    = 20000
	streamChunkRows = 2000
)

// streamable reports whether m is applied while it is read.
func (x *batcher) streamable(m *event.TxMarker) bool {
	return m.EventCount > uint64(max(streamTxRows, x.s.cfg.BatchRows)) && m.DDL == nil && m.Range == nil && len(m.Truncate) == 0
}

// txMerge yields the rows of one streamed transaction from its partitions
// in transaction order, skipping copies already applied, as collect does;
// the offsets it passes and the messages it dead-letters go to its batch.
type txMerge struct {
	x       *batcher
	m       *event.TxMarker
	b       *batch
	cursors []*txCursor
}

// stream starts reading the rows of m, a streamed transaction of b.
func (x *batcher) stream(m *event.TxMarker, b *batch) *txMerge {
	t := &txMerge{x: x, m: m, b: b}
	for _, pc := range m.Partitions {
		t.cursors = append(t.cursors, &txCursor{tp: kafka.TopicPartition{Topic: pc.Topic, Partition: pc.Partition}, want: pc.Count})
	}
	return t
}

// next returns the next row of the transaction, or nil after the last.
func (t *txMerge) next(ctx context.Context) (*event.Change, error) {
	var best *txCursor
	for _, c := range t.cursors {
		if err := t.fill(ctx, c); err != nil {
			return nil, fmt.Errorf("transaction %s (seq %s): %w", t.m.ID, t.m.Seq, err)
		}
		if c.head != nil && (best == nil || c.head.Transaction.TotalOrder < best.head.Transaction.TotalOrder) {
			best = c
		}
	}
	if best == nil {
		return nil, nil
	}
	ch := best.head
	best.head = nil
	return ch, nil
}

// fill reads c's next row of the transaction into c.head, unless it holds
// one or has given all its rows.
func (t *txMerge) fill(ctx context.Context, c *txCursor) error {
	x := t.x
	if c.r == nil {
		r, err := x.reader(ctx, c.tp)
		if err != nil {
			return err
		}
		c.r = r
	}
	for c.head == nil && c.taken < c.want {
		f, err := c.r.Fetch(ctx)
		if err != nil {
			return err
		}
		x.s.env.Metrics.SinkBytes.WithLabelValues(x.s.labels[0], x.s.labels[1]).Add(float64(len(f.rec.Value)))
		ch, err := x.take(ctx, t.b, t.m, c, f)
		if err != nil {
			return err
		}
		c.head = ch
	}
	return nil
}
