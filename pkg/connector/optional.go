package connector

import (
	"context"
	"errors"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// Checker is implemented by connectors that can check, before anything
// starts, that their servers are set up for them (sluice check).
//
// Check connects, reads settings and grants, and disconnects; it writes
// nothing and starts nothing. It returns every finding, not just the first:
// problems with their fix, and what was verified as fine. It returns an error
// only when the check itself could not run to the end (an unreachable server
// is a finding, not an error, when the connector can name its address).
// Check may be called concurrently with other connectors' Check.
type Checker interface {
	Check(ctx context.Context) []Finding
}

// Severity of a finding.
type Severity string

const (
	SeverityOK    Severity = "ok"    // verified as it must be
	SeverityWarn  Severity = "warn"  // works, but an operator should look
	SeverityError Severity = "error" // must be fixed before the connector can run
	// SeverityUnknown: the check could not run (server unreachable, no
	// privilege to read the setting); the exit code says "could not check".
	SeverityUnknown Severity = "unknown"
)

// Finding is one line of `sluice check`.
type Finding struct {
	Connector string   `json:"connector"`
	Severity  Severity `json:"severity"`
	Subject   string   `json:"subject"` // what was checked: "binlog_format on 127.0.0.1:3306"
	Message   string   `json:"message"` // what was found
	Fix       string   `json:"fix,omitempty"`
}

// Statuser is implemented by connectors that report where they stand
// (/status, sluice status). Status is called concurrently with Run, from
// HTTP handlers; it must not block on I/O for long (at most a short query
// with its own timeout) and must return a value even before Run started.
type Statuser interface {
	Status(ctx context.Context) Status
}

// Status is what /status shows for one connector. The runtime fills Name,
// Type, State, Restarts and LastError; the connector fills the rest.
type Status struct {
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	State     string    `json:"state"` // starting, running, restarting, failed, stopped
	Restarts  int       `json:"restarts"`
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"since"` // when State was entered

	// Source side.
	Position *Position `json:"position,omitempty"`
	// Sink side: Kafka offsets per topic/partition.
	Partitions []PartitionStatus `json:"partitions,omitempty"`

	RowsPerSecond         float64         `json:"rows_per_second"`
	ReplicationLagSeconds *float64        `json:"replication_lag_seconds,omitempty"`
	Snapshot              *SnapshotStatus `json:"snapshot,omitempty"`
	// DeadLetters: a sink with errors.tolerance all, the messages it
	// skipped (the replica diverges from the source by them).
	DeadLetters *DeadLetterStatus `json:"dead_letters,omitempty"`
	// Quarantined lists the tables whose changes the connector holds back
	// (on_table_error: quarantine) while every other table flows.
	Quarantined []QuarantinedTable `json:"quarantined,omitempty"`
	Details     map[string]any     `json:"details,omitempty"`
}

// QuarantinedTable is a table a connector holds back because of a problem
// confined to it: its changes are not published (source) or not applied
// (sink) until the cause is gone and the table is copied again.
type QuarantinedTable struct {
	Table  string `json:"table"`  // "db.table" as the source names it
	Kind   string `json:"kind"`   // what went wrong: cascading_foreign_key, definition, rejected_row, ...
	Reason string `json:"reason"` // the error that put it there
	Fix    string `json:"fix"`    // what the operator does to get it out
	// Where is the binlog position (source) or topic/partition/offset
	// (sink) of the change that put it there.
	Where string    `json:"where,omitempty"`
	Since time.Time `json:"since"`
	// Held counts the row changes held back since (this process's run).
	Held int64 `json:"held"`
	// Resyncing: the cause is gone and the table is being copied again; it
	// leaves quarantine once the copy is done (sink) or started (source).
	Resyncing bool `json:"resyncing,omitempty"`
}

// DeadLetterStatus is what a sink sent to its dead-letter topic.
type DeadLetterStatus struct {
	Topic string      `json:"topic"` // the dead-letter topic
	Count int64       `json:"count"` // messages dead-lettered, as recorded on the replica
	Last  *DeadLetter `json:"last,omitempty"`
}

// DeadLetter is one message a sink skipped and where it came from.
type DeadLetter struct {
	Topic            string `json:"topic"`
	Partition        int    `json:"partition"`
	Offset           int64  `json:"offset"`
	Key              string `json:"key"`
	Reason           string `json:"reason"` // decode or rejected
	Error            string `json:"error"`
	DeadLetterOffset int64  `json:"dead_letter_offset"`
}

// Position is a source's binlog position. File/Pos/GTID are the recorded
// position (where a restart resumes); Read* the end of the last transaction
// read (recorded once Kafka acknowledged it), never behind the recorded one.
type Position struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
	GTID string `json:"gtid,omitempty"`

	ReadFile string `json:"read_file,omitempty"`
	ReadPos  uint32 `json:"read_pos,omitempty"`
	ReadGTID string `json:"read_gtid,omitempty"`

	// ServerFile/ServerPos: the server's current end of binlog, when known.
	ServerFile string `json:"server_file,omitempty"`
	ServerPos  uint32 `json:"server_pos,omitempty"`
	// BehindBytes is the binlog between the recorded position and the
	// server's end (SHOW BINARY LOGS); -1 when unknown.
	BehindBytes int64 `json:"behind_bytes"`
}

// PartitionStatus is a consumer's standing on one topic partition.
type PartitionStatus struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Committed int64  `json:"committed"` // next offset to read, as recorded with the rows
	End       int64  `json:"end"`       // high watermark
	Lag       int64  `json:"lag"`       // End - Committed
}

// SnapshotStatus is the progress of a running or finished snapshot.
type SnapshotStatus struct {
	State     string `json:"state"` // running, done
	RowsDone  int64  `json:"rows_done"`
	RowsTotal int64  `json:"rows_total"` // estimate
	Table     string `json:"table,omitempty"`
	// SecondsLeft estimates the time to finish from the rate so far.
	SecondsLeft *float64 `json:"seconds_left,omitempty"`
}

// SnapshotRequester is implemented by source connectors that take requests
// for incremental snapshots (sluice snapshot, POST /snapshot).
// RequestSnapshot checks each table against the connector's config and its
// live server (it must be selected and exist), publishes one request for
// them and returns it with its offset once Kafka acknowledged it. It may be
// called on a connector that never ran, concurrently with its Run. Mistakes
// in the request wrap ErrBadSnapshotRequest.
type SnapshotRequester interface {
	RequestSnapshot(ctx context.Context, tables []string, by string) (*event.Signal, int64, error)
}

// ErrBadSnapshotRequest wraps what is wrong with a snapshot request's
// tables: not a db.table name, not selected by the source, not on it.
var ErrBadSnapshotRequest = errors.New("bad snapshot request")
