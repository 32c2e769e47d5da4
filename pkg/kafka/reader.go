package kafka

import (
	"context"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// PartitionReader reads one partition in order from a given offset. It is
// not safe for concurrent use. It commits nothing: the caller stores the
// offsets it has applied.
type PartitionReader struct {
	Topic     string
	Partition int
	r         *kafkago.Reader
	next      int64
}

// ErrOffsetGone means the broker no longer has the offset a reader must
// resume from (retention deleted it): resuming later would skip messages.
var ErrOffsetGone = fmt.Errorf("offset no longer on the broker")

// NewPartitionReader opens topic/partition at offset. It fails with
// ErrOffsetGone when the partition's first offset is past offset.
func (c *Client) NewPartitionReader(ctx context.Context, topic string, partition int, offset int64) (*PartitionReader, error) {
	first, _, err := c.Offsets(ctx, topic, partition)
	if err != nil {
		return nil, err
	}
	if first > offset {
		return nil, fmt.Errorf("%s/%d: resume offset %d, first offset on the broker %d: %w "+
			"(retention deleted messages this reader had not applied; re-snapshot the replica)",
			topic, partition, offset, first, ErrOffsetGone)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   c.brokers,
		Dialer:    c.sec.dialer(),
		Topic:     topic,
		Partition: partition,
		MinBytes:  1,
		MaxBytes:  4 << 20,
		// kafka-go uses MaxWait as the deadline for receiving the whole fetch
		// response, not only for the broker's wait: a short one livelocks a
		// busy broker that needs longer to assemble a full response. The
		// broker answers as soon as one byte is available either way.
		MaxWait: 2 * time.Second,
		// Errors are returned from Fetch; the reader logs nothing itself.
	})
	if err := r.SetOffset(offset); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s/%d: set offset %d: %w", topic, partition, offset, err)
	}
	return &PartitionReader{Topic: topic, Partition: partition, r: r, next: offset}, nil
}

// Fetch returns the next record, blocking until one arrives or ctx is done
// (then it returns ctx.Err()).
func (p *PartitionReader) Fetch(ctx context.Context) (Record, error) {
	m, err := p.r.FetchMessage(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Record{}, ctx.Err()
		}
		return Record{}, fmt.Errorf("fetch %s/%d at offset %d: %w", p.Topic, p.Partition, p.next, err)
	}
	if m.Offset < p.next {
		return Record{}, fmt.Errorf("fetch %s/%d: expected offset %d or later, broker returned %d", p.Topic, p.Partition, p.next, m.Offset)
	}
	p.next = m.Offset + 1
	rec := Record{Key: m.Key, Value: m.Value, Offset: m.Offset, Time: m.Time}
	for _, h := range m.Headers {
		rec.Headers = append(rec.Headers, Header{Key: h.Key, Value: h.Value})
	}
	return rec, nil
}

// Next returns the offset of the record Fetch returns next.
func (p *PartitionReader) Next() int64 { return p.next }

// Close releases the reader. It returns at once: kafka-go's Close waits
// for the fetch in flight, which the broker holds for up to a second when
// the partition has nothing new (measured 1.0 s a reader), so that wait
// happens in the background. Nothing is committed either way.
func (p *PartitionReader) Close() error {
	go p.r.Close()
	return nil
}
