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
	streamed bool            // too large to hold: read while applied (stream.go)
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

// batcher reads the source's transactions from Kafka into batches: the
// markers of the transaction topic in order and, for each, exactly the rows
// it lists from the table-topic partitions, decoded ahead (prefetch.go),
// skipping copies a restarted source wrote again.
//
// Contract: open starts the transaction topic at the committed offset
// (Offsets); next returns the transactions that follow the last committed
// batch, so it is called only once the batch before was committed (or the
// term ends: any error from next or from applying its batch ends the term,
// and close releases the readers). next never splits a source transaction
// and never returns an empty batch unless it passed over markers or
// dead-lettered messages, whose offsets the batch then carries. Not safe for
// concurrent use.
type batcher struct {
	s        *Sink
	txReader *kafka.PartitionReader
	markers  *markerReader                       // txReader's markers, decoded ahead (prefetch.go)
	readers  map[kafka.TopicPartition]*rowReader // table-topic partitions, decoded ahead (prefetch.go)
	pending  *pendingMarker                      // a marker fetched but not yet batched
}

// open starts reading the transaction topic at the committed offset.
func (x *batcher) open(ctx context.Context) error {
	s := x.s
	txTP := s.offsets.txTP()
	txOff := s.offsets.next[txTP]
	var err error
	if x.txReader, err = s.env.Kafka.NewPartitionReader(ctx, txTP.Topic, 0, txOff); err != nil {
		return s.offsets.gone(err, txTP, txOff)
	}
	return nil
}

// next blocks for one transaction, then adds the ones already
// available, up to batch_rows rows and batch_bytes of messages (the
// transaction that reaches batch_bytes is the last). Transactions are
// never split.
func (x *batcher) next(ctx context.Context) (*batch, error) {
	s := x.s
	b := &batch{offsets: map[kafka.TopicPartition]int64{}, applied: s.offsets.applied, txNext: s.offsets.next[s.offsets.txTP()]}
	for {
		wait := ctx
		var cancel context.CancelFunc = func() {}
		if len(b.txs) > 0 || b.skipped > 0 || len(b.dead) > 0 {
			wait, cancel = context.WithTimeout(ctx, batchWait)
		}
		pm, err := x.marker(wait)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if pm.cause != nil {
			o := origin{tp: s.offsets.txTP(), offset: pm.offset, key: pm.rec.Key, value: pm.rec.Value}
			if err := s.dead.poison(ctx, b, o, reasonDecode, pm.cause); err != nil {
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
				x.pending = pm
				return b, nil
			}
			b.txs = append(b.txs, txRows{marker: pm.m})
			b.txNext, b.applied, b.ddl = pm.offset+1, pm.m.Seq, true
			return b, nil
		}
		if len(b.txs) > 0 && b.rows+int(pm.m.EventCount) > s.cfg.BatchRows {
			x.pending = pm // starts the next batch
			return b, nil
		}
		if x.streamable(pm.m) { // alone in its batch (the check above), read while applied (stream.go)
			b.txs = append(b.txs, txRows{marker: pm.m, streamed: true})
			b.rows += int(pm.m.EventCount)
			b.txNext, b.applied = pm.offset+1, pm.m.Seq
			return b, nil
		}
		tx, err := x.collect(ctx, pm.m, b)
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

// marker returns the held-over marker or reads the next one.
func (x *batcher) marker(ctx context.Context) (*pendingMarker, error) {
	if pm := x.pending; pm != nil {
		x.pending = nil
		return pm, nil
	}
	if x.markers == nil {
		x.markers = newMarkerReader(x.txReader)
	}
	f, err := x.markers.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	rec := f.rec
	x.s.env.Metrics.SinkBytes.WithLabelValues(x.s.labels[0], x.s.labels[1]).Add(float64(len(rec.Value)))
	if f.bad != nil {
		return &pendingMarker{offset: rec.Offset, cause: f.bad, rec: rec}, nil
	}
	return &pendingMarker{m: f.v, offset: rec.Offset}, nil
}

// collect reads exactly the rows m lists from each partition, skipping
// copies of rows already applied and rows of interrupted snapshot attempts.
func (x *batcher) collect(ctx context.Context, m *event.TxMarker, b *batch) (txRows, error) {
	s := x.s
	tx := txRows{marker: m}
	for _, t := range m.Truncate {
		if _, err := s.schema.table(ctx, t, m.Seq); err != nil {
			return tx, err
		}
	}
	for _, pc := range m.Partitions {
		c := &txCursor{tp: kafka.TopicPartition{Topic: pc.Topic, Partition: pc.Partition}, want: pc.Count}
		var err error
		if c.r, err = x.reader(ctx, c.tp); err != nil {
			return tx, err
		}
		consumed := 0
		for c.taken < c.want {
			f, err := c.r.Fetch(ctx)
			if err != nil {
				return tx, err
			}
			consumed += len(f.rec.Value)
			ch, err := x.take(ctx, b, m, c, f)
			if err != nil {
				return tx, err
			}
			if ch == nil {
				continue
			}
			tx.changes = append(tx.changes, ch)
			if b.origin == nil {
				b.origin = map[*event.Change]origin{}
			}
			b.origin[ch] = origin{tp: c.tp, offset: f.rec.Offset, key: f.rec.Key, value: f.rec.Value}
		}
		s.env.Metrics.SinkBytes.WithLabelValues(s.labels[0], s.labels[1]).Add(float64(consumed))
		b.bytes += consumed
	}
	sort.Slice(tx.changes, func(i, j int) bool {
		return tx.changes[i].Transaction.TotalOrder < tx.changes[j].Transaction.TotalOrder
	})
	return tx, nil
}

// txCursor is one partition's share of a transaction being read.
type txCursor struct {
	tp          kafka.TopicPartition
	r           *rowReader
	want, taken uint64 // rows the marker lists here, rows taken so far
	lastOrder   uint64 // transaction.total_order of the last row taken
	head        *event.Change
}

// take decides what f, the next message of c's partition, is to m's
// transaction in b: one of the rows the marker lists (returned, and
// counted in c), a message that does not decode (dead-lettered and
// counted: the rest of the transaction is applied without it; nil), or a
// copy of a row already applied (passed over; nil). Either way b's offset
// of the partition moves past it. A row of a later transaction means rows
// are missing from the topic: an error.
func (x *batcher) take(ctx context.Context, b *batch, m *event.TxMarker, c *txCursor, f fetched[*event.Change]) (*event.Change, error) {
	rec, ch := f.rec, f.v
	if err := f.bad; err != nil {
		o := origin{tp: c.tp, offset: rec.Offset, key: rec.Key, value: rec.Value}
		if err := x.s.dead.poison(ctx, b, o, reasonDecode, err); err != nil {
			return nil, err
		}
		b.offsets[c.tp] = rec.Offset + 1
		c.taken++
		return nil, nil
	}
	b.offsets[c.tp] = rec.Offset + 1
	seq := ch.Transaction.Seq
	switch {
	case seq.Less(m.Seq), seq == m.Seq && ch.Transaction.TotalOrder <= c.lastOrder:
		b.skipped++
		x.s.env.Metrics.SinkDuplicates.WithLabelValues(x.s.labels[0], x.s.labels[1]).Inc()
		return nil, nil
	case m.Seq.Less(seq):
		return nil, fmt.Errorf("%s/%d offset %d: found a row of transaction %s before the %d rows this marker lists (%d found): rows are missing from the topic",
			c.tp.Topic, c.tp.Partition, rec.Offset, seq, c.want, c.taken)
	}
	c.lastOrder = ch.Transaction.TotalOrder
	c.taken++
	return ch, nil
}

// reader returns the reader of table-topic partition tp, opening it at the
// committed offset.
func (x *batcher) reader(ctx context.Context, tp kafka.TopicPartition) (*rowReader, error) {
	if r := x.readers[tp]; r != nil {
		return r, nil
	}
	off := x.s.offsets.next[tp]
	r, err := x.s.env.Kafka.NewPartitionReader(ctx, tp.Topic, tp.Partition, off)
	if err != nil {
		return nil, x.s.offsets.gone(err, tp, off)
	}
	x.readers[tp] = newRowReader(r)
	return x.readers[tp], nil
}

// close releases every reader.
func (x *batcher) close() {
	for _, r := range x.readers {
		r.Close()
	}
	switch {
	case x.markers != nil: // closes txReader
		x.markers.Close()
	case x.txReader != nil:
		x.txReader.Close()
	}
	clear(x.readers)
	x.markers, x.txReader = nil, nil
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
