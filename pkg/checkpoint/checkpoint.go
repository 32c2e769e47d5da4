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
	// SnapshotRunning: the initial snapshot started and did not finish. A
	// restart resumes it from Tables (StateVersion 2 and later, MariaDB) or
	// starts it over (older states, MySQL).
	SnapshotRunning = "running"
	// SnapshotDone: the initial snapshot is over; tables still listed in
	// Tables are copied by incremental snapshots while streaming.
	SnapshotDone = "done"
)

// StateVersion is the Version of states this package writes. Version 2 adds
// Covered and Tables: per-table snapshot progress.
const StateVersion = 2

// TableSnapshot is the progress of one table's snapshot: the chunks up to
// and including LastKey are on Kafka, acknowledged, and the position saved
// with them is at or after the binlog position each was read at.
type TableSnapshot struct {
	Table string `json:"table"` // "db.table"
	// LastKey holds the primary-key values (the server's text form, in key
	// order) of the last row copied; nil: no chunk acknowledged yet.
	LastKey [][]byte `json:"last_key,omitempty"`
	Rows    int64    `json:"rows"`             // rows copied so far
	Reason  string   `json:"reason,omitempty"` // why it is copied: initial, added, request, resume
}

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
	// SnapshotAttempt counts initial snapshot starts (for the logs).
	SnapshotAttempt uint64 `json:"snapshot_attempt,omitempty"`
	// Version is StateVersion for states written by this version; 0 before.
	Version int `json:"version,omitempty"`
	// Covered lists the tables ("db.table") whose every row reached Kafka:
	// copied by a finished snapshot, or followed in the binlog since their
	// CREATE TABLE. A selected table outside Covered and Tables is copied by
	// an incremental snapshot.
	Covered []string `json:"covered,omitempty"`
	// Tables lists the table snapshots not finished, in the order they run.
	Tables []TableSnapshot `json:"tables,omitempty"`
	// SnapshotSeq reserves the Seqs of snapshot chunks: every chunk published
	// so far has a Seq at most this, and a restarted source numbers its
	// chunks above it, so a sink never mistakes a new chunk for a copy.
	SnapshotSeq event.Seq `json:"snapshot_seq,omitempty"`
	// SignalOffset is the next offset to read on the source's signal topic
	// (snapshot requests); requests before it are in Tables or done.
	SignalOffset int64     `json:"signal_offset,omitempty"`
	ServerID     uint32    `json:"server_id,omitempty"`
	ServerUUID   string    `json:"server_uuid,omitempty"`
	Flavor       string    `json:"flavor,omitempty"`
	SavedAt      time.Time `json:"saved_at"`
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
