package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// statusRefresh is how often a running connector refreshes what its own
// traffic does not tell it: the server's end of binlog (source), the
// partitions' high watermarks (sink). Gauges derived from them stay current
// while no rows flow.
const statusRefresh = 2 * time.Second

// statusQueryTimeout bounds the queries Status runs on behalf of an HTTP
// handler.
const statusQueryTimeout = 2 * time.Second

var (
	_ connector.Statuser = (*Source)(nil)
	_ connector.Statuser = (*Sink)(nil)
)

// rateMeter measures events per second over roughly the last rateWindow.
// It is safe for concurrent use.
type rateMeter struct {
	mu      sync.Mutex
	total   int64
	samples []rateSample // oldest first, at least a second apart
}

type rateSample struct {
	at    time.Time
	total int64
}

const rateWindow = 10 * time.Second

// Add counts n events now.
func (r *rateMeter) Add(n int) {
	r.mu.Lock()
	r.sample(time.Now()) // before adding: the window's base excludes these
	r.total += int64(n)
	r.mu.Unlock()
}

// Rate returns events per second since the oldest sample of the window.
func (r *rateMeter) Rate() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.sample(now)
	base := r.samples[0]
	el := now.Sub(base.at).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(r.total-base.total) / el
}

func (r *rateMeter) sample(now time.Time) {
	if n := len(r.samples); n == 0 || now.Sub(r.samples[n-1].at) >= time.Second {
		r.samples = append(r.samples, rateSample{now, r.total})
	}
	for len(r.samples) > 1 && now.Sub(r.samples[1].at) >= rateWindow {
		r.samples = r.samples[1:]
	}
}

// snapProgress is the progress of a snapshot: rows copied against the
// servers' estimate (information_schema.TABLES.TABLE_ROWS).
type snapProgress struct {
	start       time.Time
	done, total int64
	table       string
	finished    bool
}

// rate returns rows per second since the snapshot started.
func (p snapProgress) rate() float64 {
	if el := time.Since(p.start).Seconds(); el > 0 {
		return float64(p.done) / el
	}
	return 0
}

// left estimates the time to copy the rest at the rate so far; ok is false
// while there is no rate yet.
func (p snapProgress) left() (d time.Duration, ok bool) {
	r := p.rate()
	if r <= 0 {
		return 0, false
	}
	rest := max(p.total-p.done, 0)
	return time.Duration(float64(rest) / r * float64(time.Second)), true
}

func (p snapProgress) status() *connector.SnapshotStatus {
	st := &connector.SnapshotStatus{State: "running", RowsDone: p.done, RowsTotal: p.total, Table: p.table}
	if p.finished {
		st.State, st.Table = "done", ""
		return st
	}
	if d, ok := p.left(); ok {
		secs := d.Seconds()
		st.SecondsLeft = &secs
	}
	return st
}

// binlogFile is one row of SHOW BINARY LOGS.
type binlogFile struct {
	name string
	size int64
}

// binaryLogs returns the server's binlog files, oldest first. The size of
// the last one is the server's current end of binlog.
func binaryLogs(ctx context.Context, db *sql.DB) ([]binlogFile, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("SHOW BINARY LOGS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []binlogFile
	for rows.Next() {
		vals := make([]sql.NullString, len(cols)) // MySQL 8 adds Encrypted
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		f := binlogFile{name: vals[0].String}
		if len(vals) > 1 {
			fmt.Sscan(vals[1].String, &f.size)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("SHOW BINARY LOGS returned nothing: binary logging is off")
	}
	return out, nil
}

// binlogBehind returns the bytes of binlog from at to the end of logs, or
// -1 when at's file is no longer on the server (purged) or unknown.
func binlogBehind(logs []binlogFile, at event.Position) int64 {
	var n int64
	found := false
	for _, f := range logs {
		switch {
		case f.name == at.File:
			found = true
			n += max(f.size-int64(at.Pos), 0)
		case found:
			n += f.size
		}
	}
	if !found {
		return -1
	}
	return n
}

// binlogRetention returns the server's binlog expiry in seconds, 0 when
// binlogs are never purged automatically. binlog_expire_logs_seconds wins
// when set (MySQL 8, MariaDB 10.6+), else expire_logs_days.
func binlogRetention(ctx context.Context, db *sql.DB) (float64, error) {
	var secs sql.NullFloat64
	errSecs := db.QueryRowContext(ctx, "SELECT @@binlog_expire_logs_seconds").Scan(&secs)
	if errSecs == nil && secs.Float64 > 0 {
		return secs.Float64, nil
	}
	var days sql.NullFloat64
	errDays := db.QueryRowContext(ctx, "SELECT @@expire_logs_days").Scan(&days)
	if errDays == nil {
		return days.Float64 * 86400, nil
	}
	if errSecs == nil {
		return 0, nil
	}
	return 0, fmt.Errorf("read binlog_expire_logs_seconds (%v) and expire_logs_days (%v)", errSecs, errDays)
}

// toStatusPos converts an event position; positions fit in 32 bits.
func toStatusPos(p event.Position) (string, uint32, string) {
	return p.File, uint32(p.Pos), p.GTID
}

// shortErr keeps the first line of an error for a status field.
func shortErr(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
