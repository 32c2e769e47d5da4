package publish

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"golang.org/x/sync/errgroup"
)

// Bounds of the records in flight: the reader decodes ahead while at most
// maxInflight sealed batches, of at most maxInflightBytes together, wait
// for Kafka; then it waits for the oldest. With flushBytes per batch this
// bounds the publisher's memory whatever the size of a transaction.
const (
	maxInflight      = 4
	maxInflightBytes = 3 * FlushBytes
)

// errHalted marks batches left unsent because the flight stopped.
var errHalted = errors.New("publisher stopped before this batch was produced")

// Batch is the records queued between two sends. The flight produces its
// rows (in parallel across partitions), then its markers, so a marker
// follows every row it counts, and batches leave in order.
type Batch struct {
	ctx       context.Context // the reader's context when sent (the leader's term)
	Rows      map[kafka.TopicPartition][]kafka.Record
	rowCount  int
	byteCount int
	Markers   []kafka.Record
	ops       map[[2]string]int // rows per table and op, for metrics

	// Set when sent: the position once this batch is acknowledged, and
	// whether it holds rows of a transaction still being read.
	committed    event.Position
	committedSeq event.Seq
	open         bool

	err     error         // set by the flight
	produce time.Duration // time to acknowledge the rows
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	return &Batch{Rows: map[kafka.TopicPartition][]kafka.Record{}, ops: map[[2]string]int{}}
}

func (b *Batch) empty() bool { return b.rowCount == 0 && len(b.Markers) == 0 }

func (b *Batch) add(tp kafka.TopicPartition, r kafka.Record, table string, op event.Op) {
	b.Rows[tp] = append(b.Rows[tp], r)
	b.rowCount++
	b.byteCount += len(r.Key) + len(r.Value)
	b.ops[[2]string{table, string(op)}]++
}

// flight produces sent batches in two stages, each in batch order: the rows
// stage produces a batch's rows and passes it to the marker stage, which
// produces its markers and hands it back to the reader (reap) while the
// rows stage goes on with the next batch. After a failure no later batch
// is produced: the reader stops and restarts from its recorded position.
type flight struct {
	send, mark, done chan *Batch
	halt             atomic.Bool // a stage failed, or close: produce nothing more
	wg               sync.WaitGroup

	n, bytes int   // batches and bytes in flight (the reader's goroutine only)
	err      error // first failure seen by reap; sticky
}

// Send hands the queued records to the flight without waiting for Kafka,
// unless the flight is full: then it waits for the oldest batch. It
// returns the error of a failed batch (reap).
func (p *Publisher) Send(ctx context.Context) error {
	if err := p.Reap(ctx, false); err != nil {
		return err
	}
	b := p.Cur
	if b.empty() {
		return nil
	}
	for p.fl.n >= maxInflight || (p.fl.n > 0 && p.fl.bytes+b.byteCount > maxInflightBytes) {
		if err := p.Reap(ctx, true); err != nil {
			return err
		}
	}
	if p.fl.send == nil {
		p.startFlight()
	}
	b.ctx = ctx
	b.committed, b.committedSeq = p.Committed, p.CommittedSeq
	b.open = p.Tx != nil && p.Tx.total > 0
	p.Cur, p.lastFlush = NewBatch(), time.Now()
	p.fl.n++
	p.fl.bytes += b.byteCount
	p.fl.send <- b // never blocks: the channels hold maxInflight batches
	return nil
}

// reap takes back the batches Kafka acknowledged, in order, and moves the
// acknowledged position to the last one's; with wait it first blocks until
// one is back. When nothing is queued or in flight, every committed
// transaction is acknowledged. A failed batch's error, or ctx's while
// waiting, is returned now and on every later call, and the flight
// produces nothing more.
func (p *Publisher) Reap(ctx context.Context, wait bool) error {
	for p.fl.err == nil && p.fl.n > 0 {
		var b *Batch
		if wait {
			select {
			case b = <-p.fl.done:
			case <-ctx.Done():
				// Whether the oldest batch lands is unknown: nothing later may go.
				p.fl.err = context.Cause(ctx)
				p.fl.halt.Store(true)
				return p.fl.err
			}
			wait = false
		} else {
			select {
			case b = <-p.fl.done:
			default:
			}
		}
		if b == nil {
			break
		}
		p.fl.n--
		p.fl.bytes -= b.byteCount
		if b.err != nil {
			p.fl.err = b.err
			break
		}
		p.acknowledged(b)
	}
	if p.fl.err != nil {
		return p.fl.err
	}
	if p.Idle() {
		p.Acked, p.AckedSeq = p.Committed, p.CommittedSeq
	}
	return nil
}

// acknowledged accounts for a batch Kafka acknowledged in full.
func (p *Publisher) acknowledged(b *Batch) {
	p.hook.Acked(len(b.Markers), b.open) // testhook.go: acknowledged, not yet recorded
	if b.rowCount > 0 {
		if p.Stat != nil {
			p.Stat.Published(b.rowCount)
		}
		p.m.ProduceSeconds.WithLabelValues(p.labels[0], p.labels[1]).Observe(b.produce.Seconds())
		p.m.SourceBytes.WithLabelValues(p.labels[0], p.labels[1]).Add(float64(b.byteCount))
		for k, n := range b.ops {
			p.m.SourceRowsPublished.WithLabelValues(p.labels[0], p.labels[1], k[0], k[1]).Add(float64(n))
		}
	}
	if len(b.Markers) > 0 {
		p.m.SourceTransactions.WithLabelValues(p.labels[0], p.labels[1]).Add(float64(len(b.Markers)))
	}
	p.Acked, p.AckedSeq = b.committed, b.committedSeq
}

func (p *Publisher) startFlight() {
	f := &p.fl
	f.send, f.mark, f.done = make(chan *Batch, maxInflight), make(chan *Batch, maxInflight), make(chan *Batch, maxInflight)
	f.wg.Add(2)
	go p.runStage(f.send, f.mark, p.produceRows)
	go p.runStage(f.mark, f.done, p.produceMarkers)
}

// runStage produces each batch from in, in order, and passes it to out.
func (p *Publisher) runStage(in <-chan *Batch, out chan<- *Batch, produce func(*Batch) error) {
	defer p.fl.wg.Done()
	defer close(out)
	for b := range in {
		p.stage(b, produce)
		out <- b
	}
}

// stage runs one stage's produce for b unless b or the flight failed.
func (p *Publisher) stage(b *Batch, produce func(*Batch) error) {
	if b.err == nil && p.fl.halt.Load() {
		b.err = errHalted
	}
	if b.err == nil {
		b.err = produce(b)
	}
	if b.err != nil {
		p.fl.halt.Store(true)
	}
}

func (p *Publisher) produceRows(b *Batch) error {
	if b.rowCount == 0 {
		return nil
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(b.ctx)
	g.SetLimit(16)
	sizes := p.m.ProduceBatchMessages.WithLabelValues(p.labels[0], p.labels[1])
	for tp, recs := range b.Rows {
		sizes.Observe(float64(len(recs)))
		g.Go(func() error {
			_, err := p.client.Produce(gctx, tp.Topic, tp.Partition, recs)
			return err
		})
	}
	err := g.Wait()
	b.produce = time.Since(start)
	return err
}

func (p *Publisher) produceMarkers(b *Batch) error {
	if len(b.Markers) == 0 {
		return nil
	}
	p.m.ProduceBatchMessages.WithLabelValues(p.labels[0], p.labels[1]).Observe(float64(len(b.Markers)))
	_, err := p.client.Produce(b.ctx, p.topics.Transaction(), 0, b.Markers)
	return err
}

// close stops the flight: batches not yet produced are dropped (nothing
// after them was acknowledged, so the recorded position is before them),
// and it returns once no produce request of this publisher is running.
func (p *Publisher) Close() {
	f := &p.fl
	if f.send == nil {
		return
	}
	f.halt.Store(true)
	close(f.send)
	f.wg.Wait()
	f.send = nil
}
