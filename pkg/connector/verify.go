package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Verifier is implemented by sink connectors whose replica can be compared
// with the source, row by row (sluice verify, verify.every). Verify may be
// called on a connector that never ran, and concurrently with its Run: it
// only reads, unless opts.Repair. It returns an error only when it cannot
// start (a DSN, a connection, listing tables); a table that cannot be
// compared has its TableResult.Err set. A sink that stops advancing while
// Verify waits for it fails the table with ErrSinkNotAdvancing.
type Verifier interface {
	Verify(ctx context.Context, opts VerifyOptions) (*VerifyResult, error)
}

// ErrSinkNotAdvancing is returned (wrapped) when verify needs the sink to
// apply a source position and the sink makes no progress for max_wait.
var ErrSinkNotAdvancing = errors.New("sink is not advancing")

// VerifyOptions tune one Verify call.
type VerifyOptions struct {
	// Tables restricts the comparison to tables matching these db.table
	// patterns (path.Match syntax); empty means every captured table.
	Tables []string
	// ChunkRows is the number of rows per checksummed chunk (default 10000).
	ChunkRows int
	// MaxWait is how long the sink may make no progress while verify waits
	// for it to apply a source position (default 5m).
	MaxWait time.Duration
	// Repair rewrites the rows found different on the replica from the
	// source, then compares them again.
	Repair bool
	// Examples is the number of example keys kept per kind (default 5).
	Examples int
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// Kafka, when set, is used to read the source's checkpoint for its seq
	// base, so that verify can wait for the sink after a GTID failover;
	// without it verify refuses to wait once the source has failed over.
	Kafka *kafka.Client
}

// TableResult is the comparison of one table.
type TableResult struct {
	Table   string // db.table
	Rows    int64  // source rows compared
	Missing int64  // rows on the source, not on the replica
	Extra   int64  // rows on the replica, not on the source
	Changed int64  // rows on both, with different values
	// MissingKeys, ExtraKeys and ChangedKeys hold up to Examples keys each,
	// formatted as id=5 or (a=1, b="x").
	MissingKeys, ExtraKeys, ChangedKeys []string
	// Note explains a table compared as a whole: "only on the replica",
	// "missing on the replica", "columns differ: ...".
	Note string
	// Unsettled counts rows that kept changing at the source through every
	// round: they were neither verified nor reported as different.
	Unsettled int64
	// Repaired counts rows rewritten by Repair; the counts above are then
	// those found after the repair.
	Repaired int64
	// Found is the number of differing rows found before a repair.
	Found int64
	Err   error // the table could not be compared
}

// Equal reports whether the table was compared and found equal.
func (r TableResult) Equal() bool {
	return r.Err == nil && r.Note == "" && r.Missing+r.Extra+r.Changed == 0 || r.Note == NoteEmptyAbsent
}

// VerifyResult is the comparison of one sink's replica with its source.
type VerifyResult struct {
	Sink     string
	Tables   []TableResult
	Rows     int64 // source rows compared
	Duration time.Duration
}

// Differs reports whether any table differs; errors do not count.
func (v *VerifyResult) Differs() bool {
	for i := range v.Tables {
		if v.Tables[i].Err == nil && !v.Tables[i].Equal() {
			return true
		}
	}
	return false
}

// Failed returns the first table error, or nil.
func (v *VerifyResult) Failed() error {
	for i := range v.Tables {
		if v.Tables[i].Err != nil {
			return fmt.Errorf("%s: %w", v.Tables[i].Table, v.Tables[i].Err)
		}
	}
	return nil
}

// NoteEmptyAbsent is the Note of a table that is empty on the source and not
// yet created on the replica: it counts as equal.
const NoteEmptyAbsent = "empty on the source, not created on the replica yet"

// String is the table's line of the report: "db.t: equal (N rows)" or
// "db.t: differs: 1 missing, 0 extra, 2 changed (of N rows); missing: id=5; ...".
func (r TableResult) String() string {
	var b strings.Builder
	b.WriteString(r.Table + ": ")
	switch {
	case r.Err != nil:
		fmt.Fprintf(&b, "error: %v", r.Err)
		return b.String()
	case r.Equal():
		fmt.Fprintf(&b, "equal (%d rows)", r.Rows)
		if r.Note != "" {
			b.WriteString("; " + r.Note)
		}
	case r.Note != "":
		fmt.Fprintf(&b, "differs: %s", r.Note)
		if r.Missing+r.Extra > 0 {
			fmt.Fprintf(&b, " (%d missing, %d extra rows)", r.Missing, r.Extra)
		}
	default:
		fmt.Fprintf(&b, "differs: %d missing, %d extra, %d changed (of %d rows)", r.Missing, r.Extra, r.Changed, r.Rows)
		for _, k := range []struct {
			name string
			n    int64
			keys []string
		}{{"missing", r.Missing, r.MissingKeys}, {"extra", r.Extra, r.ExtraKeys}, {"changed", r.Changed, r.ChangedKeys}} {
			if len(k.keys) == 0 {
				continue
			}
			more := ""
			if k.n > int64(len(k.keys)) {
				more = ", ..."
			}
			fmt.Fprintf(&b, "; %s: %s%s", k.name, strings.Join(k.keys, " "), more)
		}
	}
	if r.Repaired > 0 {
		fmt.Fprintf(&b, "; repaired %d of %d differing rows", r.Repaired, r.Found)
	}
	if r.Unsettled > 0 {
		fmt.Fprintf(&b, "; %d rows kept changing at the source and were not verified", r.Unsettled)
	}
	return b.String()
}

// Summary is the sink's last line of the report.
func (v *VerifyResult) Summary() string {
	var equal, differ, failed int
	for i := range v.Tables {
		switch t := &v.Tables[i]; {
		case t.Err != nil:
			failed++
		case t.Equal():
			equal++
		default:
			differ++
		}
	}
	s := fmt.Sprintf("%d tables: %d equal, %d differ", len(v.Tables), equal, differ)
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	secs := v.Duration.Seconds()
	return s + fmt.Sprintf("; %d rows compared in %.2fs (%.0f rows/s)", v.Rows, secs, float64(v.Rows)/max(secs, 1e-3))
}
