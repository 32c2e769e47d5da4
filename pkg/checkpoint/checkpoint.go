package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/connector"
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
	SignalOffset int64 `json:"signal_offset,omitempty"`
	// Epoch is the leader epoch of the writer (see Store.Claim): Load
	// prefers the highest, so a deposed leader's later saves are ignored.
	Epoch int64 `json:"epoch,omitempty"`
	// ServerID, ServerUUID (MySQL), DomainID (MariaDB's gtid_domain_id) and
	// Flavor identify the server Position belongs to. A source started on
	// another server follows it by GTID or refuses (a failover).
	ServerID   uint32 `json:"server_id,omitempty"`
	ServerUUID string `json:"server_uuid,omitempty"`
	DomainID   uint32 `json:"gtid_domain_id,omitempty"`
	Flavor     string `json:"flavor,omitempty"`
	// SeqBase is added to the binlog file number in every Seq made on the
	// server of Position. It is 0 until a failover, which sets it above
	// the file number of every Seq published before, so Seqs keep growing
	// across servers while keeping their form.
	SeqBase uint64 `json:"seq_base,omitempty"`
	// Quarantined lists the tables whose changes the source holds back
	// (on_table_error: quarantine), so a restart keeps holding them: their
	// replicas miss rows until the table is copied again.
	Quarantined []connector.QuarantinedTable `json:"quarantined,omitempty"`
	SavedAt     time.Time                    `json:"saved_at"`
}

// Store keeps SourceStates for one topic. Its methods are not safe for
// concurrent use; one source owns one key.
type Store struct {
	client *kafka.Client
	topic  string
	epoch  int64        // stamped on every Save; set by Claim
	guard  func() error // checked before every Save; nil: none
}

// ErrFenced is returned by Save when the store's guard refuses the write:
// this process no longer leads the source.
var ErrFenced = errors.New("checkpoint write refused: this process no longer leads the source")

// Guard makes every later Save call ok first and refuse to write, with
// ErrFenced, when it returns an error.
func (s *Store) Guard(ok func() error) { s.guard = ok }

// claim is the record Claim writes under "<key>/leader".
type claim struct {
	Epoch  int64     `json:"epoch"`
	Holder string    `json:"holder"`
	At     time.Time `json:"at"`
}

// Claim starts a new leader epoch for key: one above every epoch recorded
// under key so far, written under "<key>/leader" and stamped on every later
// Save. A source calls it once it was elected and before it loads its state;
// states a previous leader saves afterwards carry a lower epoch and Load
// ignores them.
func (s *Store) Claim(ctx context.Context, key, holder string) (int64, error) {
	top, err := s.maxEpoch(ctx, key)
	if err != nil {
		return 0, err
	}
	s.epoch = top + 1
	b, _ := json.Marshal(claim{Epoch: s.epoch, Holder: holder, At: clock.Now().UTC()})
	if _, err := s.client.Produce(ctx, s.topic, 0, []kafka.Record{{Key: []byte(key + "/leader"), Value: b}}); err != nil {
		return 0, fmt.Errorf("claim leader epoch %d of %s: %w", s.epoch, key, err)
	}
	return s.epoch, nil
}

// Open creates the compacted topic when missing.
func Open(ctx context.Context, c *kafka.Client, topic string) (*Store, error) {
	if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: topic, Partitions: 1, Compact: true}); err != nil {
		return nil, err
	}
	return &Store{client: c, topic: topic}, nil
}

// ErrCorrupt means the newest record of a source's checkpoint cannot be
// decoded. Load returns it wrapped in a connector.Fatal with the recovery.
var ErrCorrupt = errors.New("source checkpoint record is corrupt")

// Load returns the newest state saved under key by the highest leader
// epoch, or nil when there is none.
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
	var lastOff int64
	lastEpoch := int64(-1)
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return nil, err
		}
		// The newest state of the highest leader epoch: a deposed leader's
		// later saves carry a lower epoch than its successor's.
		// An undecodable record counts as the newest, so Load reports it.
		if e, ok := epochOf(rec.Value); string(rec.Key) == key && (!ok || e >= lastEpoch) {
			e = max(e, lastEpoch)
			last, lastOff, lastEpoch = rec.Value, rec.Offset, e
		}
	}
	if last == nil {
		return nil, nil
	}
	var st SourceState
	if err := json.Unmarshal(last, &st); err != nil {
		return nil, &connector.Fatal{Err: fmt.Errorf("checkpoint %s/0 offset %d key %s: %w (%v): the source cannot tell where it stopped and will not guess. "+
			"Recover: stop sluice; delete the topic %s (kafka-topics.sh --delete --topic %s; the embedded broker accepts it too) "+
			"so that the source starts over with a snapshot; then run `sluice verify --config FILE --repair` to remove replica rows the source deleted meanwhile",
			s.topic, lastOff, key, ErrCorrupt, err, s.topic, s.topic)}
	}
	return &st, nil
}

// maxEpoch reads the topic to its end and returns the highest leader epoch
// of key's states and claims.
func (s *Store) maxEpoch(ctx context.Context, key string) (int64, error) {
	first, end, err := s.client.Offsets(ctx, s.topic, 0)
	if err != nil || end <= first {
		return 0, err
	}
	r, err := s.client.NewPartitionReader(ctx, s.topic, 0, first)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var top int64
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return 0, err
		}
		if k := string(rec.Key); k == key || k == key+"/leader" {
			e, _ := epochOf(rec.Value)
			top = max(top, e)
		}
	}
	return top, nil
}

// epochOf returns the epoch of a state or claim record (0 when it has
// none), and false when the record cannot be decoded.
func epochOf(v []byte) (int64, bool) {
	var e struct {
		Epoch int64 `json:"epoch"`
	}
	err := json.Unmarshal(v, &e)
	return e.Epoch, err == nil
}

// Save records st under key, stamped with the store's epoch, and returns
// once Kafka acknowledged it. It writes nothing and returns ErrFenced when
// the guard refuses.
func (s *Store) Save(ctx context.Context, key string, st SourceState) error {
	if s.guard != nil {
		if err := s.guard(); err != nil {
			return fmt.Errorf("%w: %v", ErrFenced, err)
		}
	}
	st.Epoch = s.epoch
	st.SavedAt = clock.Now().UTC()
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
