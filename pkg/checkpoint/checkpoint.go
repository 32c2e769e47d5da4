package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Snapshot states.
const (
	SnapshotRunning = "running" // started, not finished: a restart must start over
	SnapshotDone    = "done"
)

// SourceState is what a source needs to resume.
type SourceState struct {
	// Position is where streaming resumes: the end of the last transaction
	// whose messages and marker Kafka acknowledged.
	Position event.Position `json:"position"`
	// Seq is the Seq of that last transaction.
	Seq event.Seq `json:"seq"`
	// Snapshot is "", SnapshotRunning or SnapshotDone.
	Snapshot string `json:"snapshot,omitempty"`
	// SnapshotTables lists the tables ("db.table") of the snapshot.
	SnapshotTables []string `json:"snapshot_tables,omitempty"`
	// SnapshotAttempt counts snapshot starts; it keeps the Seqs of a restarted
	// snapshot above those of the interrupted one.
	SnapshotAttempt uint64    `json:"snapshot_attempt,omitempty"`
	ServerID        uint32    `json:"server_id,omitempty"`
	ServerUUID      string    `json:"server_uuid,omitempty"`
	Flavor          string    `json:"flavor,omitempty"`
	SavedAt         time.Time `json:"saved_at"`
}

// Store keeps SourceStates for one topic. Its methods are not safe for
// concurrent use; one source owns one key.
type Store struct {
	client *kafka.Client
	topic  string
}

// Open creates the compacted topic when missing.
func Open(ctx context.Context, c *kafka.Client, topic string) (*Store, error) {
	if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: topic, Partitions: 1, Compact: true}); err != nil {
		return nil, err
	}
	return &Store{client: c, topic: topic}, nil
}

// Load returns the newest state saved under key, or nil when there is none.
func (s *Store) Load(ctx context.Context, key string) (*SourceState, error) {
	first, end, err := s.client.Offsets(ctx, s.topic, 0)
	if err != nil {
		return nil, err
	}
	if end <= first {
		return nil, nil
	}
	r, err := s.client.NewPartitionReader(ctx, s.topic, 0, first)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var last []byte
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return nil, err
		}
		if string(rec.Key) == key {
			last = rec.Value
		}
	}
	if last == nil {
		return nil, nil
	}
	var st SourceState
	if err := json.Unmarshal(last, &st); err != nil {
		return nil, fmt.Errorf("checkpoint %s key %s is corrupt (%v): delete the key or the topic only if you mean to re-snapshot", s.topic, key, err)
	}
	return &st, nil
}

// Save records st under key and returns once Kafka acknowledged it.
func (s *Store) Save(ctx context.Context, key string, st SourceState) error {
	st.SavedAt = time.Now().UTC()
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = s.client.Produce(ctx, s.topic, 0, []kafka.Record{{Key: []byte(key), Value: b}})
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}
