package sink

import (
	"context"
	"database/sql"
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
func (s *Sink) streamable(m *event.TxMarker) bool {
	return m.EventCount > uint64(max(streamTxRows, s.cfg.BatchRows)) && m.DDL == nil && m.Range == nil && len(m.Truncate) == 0
}

// applyTx applies one source transaction of a batch inside the replica
// transaction tx: from memory, or read from Kafka as it goes when it was
// batched as streamed.
func (s *Sink) applyTx(ctx context.Context, tx *sql.Tx, t txRows, b *batch, a *applier) error {
	if !t.streamed {
		if b.careful {
			return s.applyCareful(ctx, tx, b, t.changes, a.counts)
		}
		return s.applyChanges(ctx, tx, t.changes, a.counts)
	}
	merged := newMerger(a)
	m := newTxMerge(s, t.marker, b)
	chunk := make([]*event.Change, 0, streamChunkRows)
	for {
		ch, err := m.next(ctx)
		if err != nil {
			return err
		}
		if ch != nil {
			chunk = append(chunk, ch)
		}
		if len(chunk) == cap(chunk) || (ch == nil && len(chunk) > 0) {
			if err := merged.add(ctx, chunk); err != nil {
				return err
			}
			if err := merged.flush(ctx); err != nil {
				return err
			}
			clear(chunk) // let the applied changes go
			chunk = chunk[:0]
		}
		if ch == nil {
			return nil
		}
	}
}

// txMerge yields the rows of one transaction from its partitions in
// transaction order, skipping copies already applied, as collect does.
type txMerge struct {
	s       *Sink
	m       *event.TxMarker
	b       *batch
	cursors []*txCursor
}

// txCursor is one partition's share of the transaction.
type txCursor struct {
	tp          kafka.TopicPartition
	r           *rowReader
	want, taken uint64
	lastOrder   uint64
	head        *event.Change
}

func newTxMerge(s *Sink, m *event.TxMarker, b *batch) *txMerge {
	x := &txMerge{s: s, m: m, b: b}
	for _, pc := range m.Partitions {
		x.cursors = append(x.cursors, &txCursor{tp: kafka.TopicPartition{Topic: pc.Topic, Partition: pc.Partition}, want: pc.Count})
	}
	return x
}

// next returns the next row of the transaction, or nil after the last.
func (x *txMerge) next(ctx context.Context) (*event.Change, error) {
	var best *txCursor
	for _, c := range x.cursors {
		if err := x.fill(ctx, c); err != nil {
			return nil, fmt.Errorf("transaction %s (seq %s): %w", x.m.ID, x.m.Seq, err)
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
func (x *txMerge) fill(ctx context.Context, c *txCursor) error {
	s := x.s
	if c.r == nil {
		r, err := s.reader(ctx, c.tp)
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
		rec, ch := f.rec, f.v
		s.env.Metrics.SinkBytes.WithLabelValues(s.labels[0], s.labels[1]).Add(float64(len(rec.Value)))
		if err := f.bad; err != nil { // one of the listed rows, skipped as in collect
			o := origin{tp: c.tp, offset: rec.Offset, key: rec.Key, value: rec.Value}
			if err := s.poison(ctx, x.b, o, reasonDecode, err); err != nil {
				return err
			}
			x.b.offsets[c.tp] = rec.Offset + 1
			c.taken++
			continue
		}
		x.b.offsets[c.tp] = rec.Offset + 1
		seq := ch.Transaction.Seq
		switch {
		case seq.Less(x.m.Seq), seq == x.m.Seq && ch.Transaction.TotalOrder <= c.lastOrder:
			x.b.skipped++
			s.env.Metrics.SinkDuplicates.WithLabelValues(s.labels[0], s.labels[1]).Inc()
			continue
		case x.m.Seq.Less(seq):
			return fmt.Errorf("%s/%d offset %d: found a row of transaction %s before the %d rows this marker lists (%d found): rows are missing from the topic",
				c.tp.Topic, c.tp.Partition, rec.Offset, seq, c.want, c.taken)
		}
		c.lastOrder = ch.Transaction.TotalOrder
		c.taken++
		c.head = ch
	}
	return nil
}
