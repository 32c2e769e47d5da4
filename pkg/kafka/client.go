package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Record is one message to produce or one message read.
type Record struct {
	Key, Value []byte
	Offset     int64 // set on records read
	Time       time.Time
	Headers    []Header
}

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// TopicSpec describes a topic sluice needs.
type TopicSpec struct {
	Name       string
	Partitions int
	Compact    bool // cleanup.policy=compact (offsets)
	Forever    bool // retention.ms=-1 (schema history)
}

// Client talks to a Kafka cluster. It is safe for concurrent use.
type Client struct {
	brokers  []string
	c        *kafkago.Client
	rf       int // configured replication factor, 0 = min(3, brokers)
	maxBytes int
	sec      Security            // TLS and SASL of every connection, the readers' too
	codec    kafkago.Compression // of produced batches (compression.go)
	codecErr error
	packed   atomic.Int64 // request limit in uncompressed bytes, once lowered (compression.go)
}

// NewClient returns a client for brokers. replicationFactor 0 means
// min(3, number of brokers). maxMessageBytes bounds a single record.
func NewClient(brokers []string, replicationFactor, maxMessageBytes int, opts ...Option) *Client {
	c := &Client{brokers: brokers, rf: replicationFactor, maxBytes: maxMessageBytes}
	for _, o := range opts {
		o(c)
	}
	c.c = &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 30 * time.Second, Transport: c.sec.transport()}
	return c
}

// Brokers returns the bootstrap addresses.
func (c *Client) Brokers() []string { return c.brokers }

// MaxMessageBytes returns the largest record the client will send.
func (c *Client) MaxMessageBytes() int { return c.maxBytes }

// Ping checks that the cluster answers a metadata request and, since the
// client serves metadata from a cache refreshed every few seconds, that a
// broker answers an ApiVersions request right now.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.c.Metadata(ctx, &kafkago.MetadataRequest{})
	if err == nil {
		_, err = c.c.ApiVersions(ctx, &kafkago.ApiVersionsRequest{})
	}
	if err != nil {
		return fmt.Errorf("kafka %v: %w", c.brokers, c.explain(ctx, err))
	}
	return nil
}

// Partitions returns the partition count of topic, or 0 when it does not exist.
func (c *Client) Partitions(ctx context.Context, topic string) (int, error) {
	md, err := c.c.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("kafka metadata for %s: %w", topic, c.explain(ctx, err))
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if errors.Is(t.Error, kafkago.UnknownTopicOrPartition) {
			return 0, nil
		}
		if t.Error != nil {
			return 0, fmt.Errorf("kafka metadata for %s: %w", topic, t.Error)
		}
		return len(t.Partitions), nil
	}
	return 0, nil
}

// EnsureTopic creates the topic when missing and returns its partition count,
// which may differ from spec.Partitions when the topic already existed.
func (c *Client) EnsureTopic(ctx context.Context, spec TopicSpec) (int, error) {
	n, err := c.Partitions(ctx, spec.Name)
	if err != nil || n > 0 {
		return n, err
	}
	md, err := c.c.Metadata(ctx, &kafkago.MetadataRequest{})
	if err != nil {
		return 0, fmt.Errorf("kafka metadata: %w", err)
	}
	rf := c.rf
	if rf == 0 {
		rf = min(3, len(md.Brokers))
	}
	var cfgs []kafkago.ConfigEntry
	if spec.Compact {
		cfgs = append(cfgs, kafkago.ConfigEntry{ConfigName: "cleanup.policy", ConfigValue: "compact"})
	}
	if spec.Forever {
		cfgs = append(cfgs, kafkago.ConfigEntry{ConfigName: "retention.ms", ConfigValue: "-1"})
	}
	if rf > 1 {
		cfgs = append(cfgs, kafkago.ConfigEntry{ConfigName: "min.insync.replicas", ConfigValue: "2"})
	}
	resp, err := c.c.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{
		Topic: spec.Name, NumPartitions: spec.Partitions, ReplicationFactor: rf, ConfigEntries: cfgs,
	}}})
	if err != nil {
		return 0, fmt.Errorf("create topic %s: %w", spec.Name, err)
	}
	if e := resp.Errors[spec.Name]; e != nil && !errors.Is(e, kafkago.TopicAlreadyExists) {
		return 0, fmt.Errorf("create topic %s (partitions %d, replication factor %d): %w", spec.Name, spec.Partitions, rf, e)
	}
	for i := 0; i < 50; i++ { // metadata propagates asynchronously on real clusters
		if n, err = c.Partitions(ctx, spec.Name); err != nil || n > 0 {
			return n, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("create topic %s: not visible in metadata after creation", spec.Name)
}

// Produce writes records to one partition with acks=all and returns the
// offset of the first. Records go in order, in requests of at most
// MaxMessageBytes each (a broker refuses a larger record batch; with
// compression, see requestLimit). On error nothing may be assumed about the
// batch: a prefix of it may be written, and a retry writes it again
// (sluice's readers skip such duplicates).
func (c *Client) Produce(ctx context.Context, topic string, partition int, recs []Record) (int64, error) {
	first := int64(-1)
	for {
		limit := c.requestLimit()
		n := fit(recs, limit)
		off, err := c.produce(ctx, topic, partition, recs[:n])
		if err != nil && c.tooLarge(err, limit) {
			continue // compressed larger than hoped: send again in smaller requests
		}
		if err != nil {
			return 0, err
		}
		if first < 0 {
			first = off
		}
		if recs = recs[n:]; len(recs) == 0 {
			return first, nil
		}
	}
}

// Per-record and per-batch framing of the Kafka record format v2, bounded
// from above, for sizing requests.
const recordOverhead, batchOverhead = 40, 80

// maxMessageBytes is MaxMessageBytes, 1 MiB when unset.
func (c *Client) maxMessageBytes() int {
	if c.maxBytes <= 0 {
		return 1 << 20
	}
	return c.maxBytes
}

// fit returns how many of recs (at least one) fit in limit bytes of
// uncompressed records.
func fit(recs []Record, limit int) int {
	size := batchOverhead
	for i, r := range recs {
		size += recordOverhead + len(r.Key) + len(r.Value)
		for _, h := range r.Headers {
			size += recordOverhead/4 + len(h.Key) + len(h.Value)
		}
		if size > limit && i > 0 {
			return i
		}
	}
	return len(recs)
}

func (c *Client) produce(ctx context.Context, topic string, partition int, recs []Record) (int64, error) {
	if c.codecErr != nil {
		return 0, c.codecErr
	}
	krecs := make([]kafkago.Record, len(recs))
	for i, r := range recs {
		krecs[i] = kafkago.Record{Key: kafkago.NewBytes(r.Key), Value: kafkago.NewBytes(r.Value), Time: r.Time}
		if r.Value == nil {
			krecs[i].Value = nil
		}
		for _, h := range r.Headers {
			krecs[i].Headers = append(krecs[i].Headers, kafkago.Header{Key: h.Key, Value: h.Value})
		}
	}
	var resp *kafkago.ProduceResponse
	var err error
	for tries := 0; ; tries++ {
		resp, err = c.c.Produce(ctx, &kafkago.ProduceRequest{
			Topic: topic, Partition: partition, RequiredAcks: kafkago.RequireAll,
			Records: kafkago.NewRecordReader(krecs...), Compression: c.codec,
		})
		// A topic another client created since kafka-go last read the
		// metadata is unknown to its cache until the next refresh
		// (Transport.MetadataTTL, 6 s): the request was not sent; wait.
		if !errors.Is(err, protocol.ErrNoTopic) || tries == 40 {
			break
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("produce %d records to %s/%d: %w", len(recs), topic, partition, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if err == nil {
		for _, e := range resp.RecordErrors {
			err = e
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("produce %d records to %s/%d: %w", len(recs), topic, partition, err)
	}
	return resp.BaseOffset, nil
}

// Offsets returns the first and the next-to-be-written offset of a partition.
// A dropped connection is retried a few times: the first request on a new
// connection to a just-started broker can see one.
func (c *Client) Offsets(ctx context.Context, topic string, partition int) (first, end int64, err error) {
	for attempt := 0; ; attempt++ {
		first, end, err = c.offsets(ctx, topic, partition)
		if err == nil || attempt == 3 || !errors.Is(err, io.ErrUnexpectedEOF) {
			return first, end, err
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Client) offsets(ctx context.Context, topic string, partition int) (first, end int64, err error) {
	resp, err := c.c.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{
		topic: {kafkago.FirstOffsetOf(partition), kafkago.LastOffsetOf(partition)},
	}})
	if err != nil {
		return 0, 0, fmt.Errorf("list offsets %s/%d: %w", topic, partition, err)
	}
	for _, p := range resp.Topics[topic] {
		if p.Partition != partition {
			continue
		}
		if p.Error != nil {
			return 0, 0, fmt.Errorf("list offsets %s/%d: %w", topic, partition, p.Error)
		}
		return p.FirstOffset, p.LastOffset, nil
	}
	return 0, 0, fmt.Errorf("list offsets %s/%d: partition missing from answer", topic, partition)
}
