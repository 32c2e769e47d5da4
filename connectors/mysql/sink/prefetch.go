package sink

import (
	"context"
	"sync/atomic"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Decoding ahead. Decoding a row message (JSON) costs the sink more CPU
// than building and sending its statement (half of the sink's CPU in a
// profile), and the server's work on a statement leaves the sink idle.
// Each table-topic partition the sink reads therefore has a goroutine that
// fetches and decodes its messages ahead, in order, while the sink
// applies (rowReader); the transaction topic's markers are decoded ahead
// the same way (markerReader). Each holds at most prefetchRows messages
// and about prefetchBytes of them (always at least one; decoded rows take
// a few times their message's size), so memory is bounded per partition
// whatever the rows' size, and a partition whose rows belong to later
// transactions cannot hold up another. Offsets and checkpoints are
// unaffected: the sink still takes rows in partition order and records
// the offset after the last one it applied.
const (
	prefetchRows  = 256
	prefetchBytes = 512 << 10
)

// prefetcher fetches and decodes one partition's messages ahead of the
// sink: rowReader for table topics, markerReader for the transaction topic.
type prefetcher[T any] struct {
	r      *kafka.PartitionReader
	decode func([]byte) (T, error)
	out    chan fetched[T]
	held   atomic.Int64  // bytes of the messages in out
	freed  chan struct{} // signalled when Fetch takes a message
	cancel context.CancelFunc
	done   chan struct{}
	err    error // the fetch error that ended the goroutine, once out is closed
}

type (
	rowReader    = prefetcher[*event.Change]
	markerReader = prefetcher[*event.TxMarker]
)

// fetched is one message and its decoding.
type fetched[T any] struct {
	rec kafka.Record
	v   T
	bad error // why the message does not decode (a poison message)
}

func newRowReader(r *kafka.PartitionReader) *rowReader { return newPrefetcher(r, decodeSinkRow) }

func newMarkerReader(r *kafka.PartitionReader) *markerReader {
	return newPrefetcher(r, event.DecodeTxMarker)
}

func newPrefetcher[T any](r *kafka.PartitionReader, decode func([]byte) (T, error)) *prefetcher[T] {
	ctx, cancel := context.WithCancel(context.Background())
	x := &prefetcher[T]{r: r, decode: decode, out: make(chan fetched[T], prefetchRows), freed: make(chan struct{}, 1),
		cancel: cancel, done: make(chan struct{})}
	go x.run(ctx)
	return x
}

func (x *prefetcher[T]) run(ctx context.Context) {
	defer close(x.done)
	defer close(x.out)
	for {
		rec, err := x.r.Fetch(ctx)
		if err != nil {
			x.err = err
			return
		}
		f := fetched[T]{rec: rec}
		f.v, f.bad = x.decode(rec.Value)
		n := int64(len(rec.Value))
		for h := x.held.Load(); h > 0 && h+n > prefetchBytes; h = x.held.Load() {
			select {
			case <-x.freed:
			case <-ctx.Done():
				x.err = ctx.Err()
				return
			}
		}
		x.held.Add(n)
		select {
		case x.out <- f:
		case <-ctx.Done():
			x.err = ctx.Err()
			return
		}
	}
}

// Fetch returns the partition's next message, decoded (or with the reason
// it does not decode), blocking until one is ready or ctx is done.
func (x *prefetcher[T]) Fetch(ctx context.Context) (fetched[T], error) {
	select {
	case f, ok := <-x.out:
		if !ok {
			return fetched[T]{}, x.err // set before out was closed
		}
		x.held.Add(-int64(len(f.rec.Value)))
		select {
		case x.freed <- struct{}{}:
		default: // already signalled
		}
		return f, nil
	case <-ctx.Done():
		return fetched[T]{}, ctx.Err()
	}
}

// Close stops the goroutine and releases the partition reader.
func (x *prefetcher[T]) Close() error {
	x.cancel()
	<-x.done
	return x.r.Close()
}
