package sink

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Faults of what the sink resumes from, each detected before anything is
// applied and each a connector.Fatal naming what is wrong and how to
// recover: retrying cannot fix them, and resuming anyway would silently
// skip or re-order changes.

// recoverResync is the re-sync procedure shared by the faults below.
const recoverResync = "re-sync the replica: `sluice snapshot --config FILE --connector SOURCE --table db.table` for each of its tables " +
	"(or `sluice verify --config FILE --repair`); a source with snapshot: when_needed re-snapshots by itself only when its binlog was purged"

// resumeMetadataWait bounds how long checkResume waits for a topic's
// partition count to reach what the checkpoint recorded before calling it a
// fault: the Kafka client answers metadata from a cache refreshed every few
// seconds, and right after a broker restart that cache can briefly miss a
// topic (seen as "0 partitions" on a sink that started the moment Kafka
// answered again).
var resumeMetadataWait = 12 * time.Second

// partitionsAtLeast returns topic's partition count once it is at least
// want, or the last count seen after resumeMetadataWait.
func (s *Sink) partitionsAtLeast(ctx context.Context, topic string, want int) (int, error) {
	deadline := time.Now().Add(resumeMetadataWait)
	for logged := false; ; {
		n, err := s.env.Kafka.Partitions(ctx, topic)
		if err != nil || n >= want || time.Now().After(deadline) {
			return n, err
		}
		if !logged {
			s.log.Warn("topic has fewer partitions than the checkpoint records; re-reading Kafka metadata before calling it a fault",
				"topic", topic, "partitions", n, "recorded", want, "for", resumeMetadataWait)
			logged = true
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// checkResume checks the offsets read from the checkpoint against the
// brokers: every recorded partition must still exist (a topic whose
// partition count went down, or that was deleted and created again with
// fewer) and hold the recorded offset (a topic re-created empty, or with
// another partition count, restarts its offsets at 0). It runs once the
// source's topics exist.
func (s *Sink) checkResume(ctx context.Context) error {
	byTopic := map[string][]kafka.TopicPartition{}
	for tp := range s.offsets.next {
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp)
	}
	topics := make([]string, 0, len(byTopic))
	for t := range byTopic {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, topic := range topics {
		maxRecorded := -1
		for _, tp := range byTopic[topic] {
			maxRecorded = max(maxRecorded, tp.Partition)
		}
		n, err := s.partitionsAtLeast(ctx, topic, maxRecorded+1)
		if err != nil {
			return err
		}
		if maxRecorded >= n {
			return &connector.Fatal{Err: fmt.Errorf("sink %s: topic %s has %d partitions, but this sink recorded offsets for partition %d (%s): "+
				"the topic was deleted or its partition count changed, and its offsets no longer mean what the sink applied. "+
				"Recover: restore the topic with its partition count (kafka.partitions), or start the sink over on this topic: %s; then %s",
				s.cfg.Name, topic, n, maxRecorded, s.offsets.Table(), s.offsets.restartSQL(topic), recoverResync)}
		}
		for _, tp := range byTopic[topic] {
			off := s.offsets.next[tp]
			first, end, err := s.env.Kafka.Offsets(ctx, tp.Topic, tp.Partition)
			if err != nil {
				return err
			}
			if off > end {
				return &connector.Fatal{Err: fmt.Errorf("sink %s: %s/%d: recorded offset %d is past the partition's end %d: "+
					"the topic was deleted and created again (perhaps with another partition count: it has %d now), so its offsets no longer mean what the sink applied. "+
					"Recover: start the sink over on this topic: %s; then %s",
					s.cfg.Name, tp.Topic, tp.Partition, off, end, n, s.offsets.restartSQL(tp.Topic), recoverResync)}
			}
			if off < first {
				return s.offsets.gone(fmt.Errorf("%s/%d: resume offset %d, first offset on the broker %d: %w", tp.Topic, tp.Partition, off, first, kafka.ErrOffsetGone), tp, off)
			}
		}
	}
	return nil
}
