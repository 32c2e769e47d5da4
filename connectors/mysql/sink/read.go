package sink

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// batchWait is how long the sink waits for one more ready transaction
// before committing what it has.
const batchWait = 2 * time.Millisecond

// pendingMarker is a marker and its offset on the transaction topic.
type pendingMarker struct {
	m      *event.TxMarker
	offset int64
	cause  error        // set instead of m: the message is not a marker (a poison message)
	rec    kafka.Record // the message, when cause is set
}

// txRows is one source transaction ready to apply.
type txRows struct {
	marker   *event.TxMarker
	changes  []*event.Change // in source order (transaction.total_order)
	streamed bool            // too large to hold: read while applied (sink_stream.go)
}

// batch is what one replica commit applies.
type batch struct {
	txs     []txRows
	txNext  int64                          // next offset on the transaction topic
	offsets map[kafka.TopicPartition]int64 // next offsets of data partitions read
	applied event.Seq
	rows    int
	bytes   int  // of the row messages collected (batch_bytes)
	skipped int  // duplicate rows and markers passed over
	ddl     bool // the batch is one DDL marker (txs[0].marker.DDL)

	dead    []deadLetter             // poison messages dead-lettered (errors.tolerance: all), recorded with the commit
	origin  map[*event.Change]origin // where each collected row was read, to name or dead-letter one the replica rejects
	careful bool                     // apply row by row behind savepoints, to find the rows the replica rejects
}

// nextBatch blocks for one transaction, then adds the ones already
// available, up to batch_rows rows and batch_bytes of messages (the
// transaction that reaches batch_bytes is the last). Transactions are
// never split.
func (s *Sink) nextBatch(ctx context.Context) (*batch, error) {
	b := &batch{offsets: map[kafka.TopicPartition]int64{}, applied: s.applied,
		txNext: s.offsets[kafka.TopicPartition{Topic: s.topics.Transaction(), Partition: 0}]}
	for {
		wait := ctx
		var cancel context.CancelFunc = func() {}
		if len(b.txs) > 0 || b.skipped > 0 || len(b.dead) > 0 {
			wait, cancel = context.WithTimeout(ctx, batchWait)
		}
		pm, err := s.nextMarker(wait)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if pm.cause != nil {
			o := origin{tp: kafka.TopicPartition{Topic: s.topics.Transaction(), Partition: 0}, offset: pm.offset, key: pm.rec.Key, value: pm.rec.Value}
			if err := s.poison(ctx, b, o, reasonDecode, pm.cause); err != nil {
				return nil, err
			}
			b.txNext = pm.offset + 1
			continue
		}
		if pm.m.Status != "END" || !b.applied.Less(pm.m.Seq) {
			// A BEGIN event, or a marker a restarted source wrote again.
			b.txNext = pm.offset + 1
			b.skipped++
			s.env.Metrics.SinkDuplicates.WithLabelValues(s.labels[0], s.labels[1]).Inc()
			continue
		}
		if pm.m.DDL != nil { // a barrier: applied alone, after what came before
			if len(b.txs) > 0 || len(b.dead) > 0 {
				s.pending = pm
				return b, nil
			}
			b.txs = append(b.txs, txRows{marker: pm.m})
			b.txNext, b.applied, b.ddl = pm.offset+1, pm.m.Seq, true
			return b, nil
		}
		if len(b.txs) > 0 && b.rows+int(pm.m.EventCount) > s.cfg.BatchRows {
			s.pending = pm // starts the next batch
			return b, nil
		}
		if s.streamable(pm.m) { // alone in its batch (the check above), read while applied
			b.txs = append(b.txs, txRows{marker: pm.m, streamed: true})
			b.rows += int(pm.m.EventCount)
			b.txNext, b.applied = pm.offset+1, pm.m.Seq
			return b, nil
		}
		tx, err := s.collect(ctx, pm.m, b)
		if err != nil {
			return nil, fmt.Errorf("transaction %s (seq %s, %s offset %d): %w", pm.m.ID, pm.m.Seq, s.topics.Transaction(), pm.offset, err)
		}
		b.txs = append(b.txs, tx)
		b.rows += len(tx.changes)
		b.txNext = pm.offset + 1
		b.applied = pm.m.Seq
		if s.cfg.BatchBytes > 0 && b.bytes >= s.cfg.BatchBytes {
			return b, nil
		}
	}
}

// nextMarker returns the held-over marker or reads the next one.
func (s *Sink) nextMarker(ctx context.Context) (*pendingMarker, error) {
	if pm := s.pending; pm != nil {
		s.pending = nil
		return pm, nil
	}
	if s.markers == nil {
		s.markers = newMarkerReader(s.txReader)
	}
	f, err := s.markers.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	rec := f.rec
	s.env.Metrics.SinkBytes.WithLabelValues(s.labels[0], s.labels[1]).Add(float64(len(rec.Value)))
	if f.bad != nil {
		return &pendingMarker{offset: rec.Offset, cause: f.bad, rec: rec}, nil
	}
	return &pendingMarker{m: f.v, offset: rec.Offset}, nil
}

// collect reads exactly the rows m lists from each partition, skipping
// copies of rows already applied and rows of interrupted snapshot attempts.
func (s *Sink) collect(ctx context.Context, m *event.TxMarker, b *batch) (txRows, error) {
	tx := txRows{marker: m}
	for _, t := range m.Truncate {
		if _, err := s.table(ctx, t, m.Seq); err != nil {
			return tx, err
		}
	}
	for _, pc := range m.Partitions {
		tp := kafka.TopicPartition{Topic: pc.Topic, Partition: pc.Partition}
		r, err := s.reader(ctx, tp)
		if err != nil {
			return tx, err
		}
		var taken, lastOrder uint64
		consumed := 0
		for taken < pc.Count {
			f, err := r.Fetch(ctx)
			if err != nil {
				return tx, err
			}
			rec, ch := f.rec, f.v
			consumed += len(rec.Value)
			o := origin{tp: tp, offset: rec.Offset, key: rec.Key, value: rec.Value}
			if err := f.bad; err != nil {
				// Taken as one of the rows the marker lists: the rest of
				// the transaction is applied without it.
				if err := s.poison(ctx, b, o, reasonDecode, err); err != nil {
					return tx, err
				}
				b.offsets[tp] = rec.Offset + 1
				taken++
				continue
			}
			b.offsets[tp] = rec.Offset + 1
			seq := ch.Transaction.Seq
			switch {
			case seq.Less(m.Seq), seq == m.Seq && ch.Transaction.TotalOrder <= lastOrder:
				b.skipped++
				s.env.Metrics.SinkDuplicates.WithLabelValues(s.labels[0], s.labels[1]).Inc()
				continue
			case m.Seq.Less(seq):
				return tx, fmt.Errorf("%s/%d offset %d: found a row of transaction %s before the %d rows this marker lists (%d found): rows are missing from the topic",
					tp.Topic, tp.Partition, rec.Offset, seq, pc.Count, taken)
			}
			lastOrder = ch.Transaction.TotalOrder
			taken++
			tx.changes = append(tx.changes, ch)
			if b.origin == nil {
				b.origin = map[*event.Change]origin{}
			}
			b.origin[ch] = o
		}
		s.env.Metrics.SinkBytes.WithLabelValues(s.labels[0], s.labels[1]).Add(float64(consumed))
		b.bytes += consumed
	}
	sort.Slice(tx.changes, func(i, j int) bool {
		return tx.changes[i].Transaction.TotalOrder < tx.changes[j].Transaction.TotalOrder
	})
	return tx, nil
}

// decodeSinkRow decodes a table-topic message and checks what the sink relies
// on: a valid transaction seq.
func decodeSinkRow(v []byte) (*event.Change, error) {
	ch, err := event.DecodeChange(v)
	if err != nil {
		return nil, err
	}
	if !ch.Transaction.Seq.Valid() {
		return nil, fmt.Errorf("decode change: invalid transaction.seq %q", ch.Transaction.Seq)
	}
	return ch, nil
}
