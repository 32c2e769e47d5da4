package source

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/report"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

var (
	_ connector.Statuser = (*Source)(nil)
	_ connector.Statuser = (*sink.Sink)(nil)
)

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

// toStatusPos converts an event position; positions fit in 32 bits.
func toStatusPos(p event.Position) (string, uint32, string) {
	return p.File, uint32(p.Pos), p.GTID
}

// sourceStatus is what Source.Status reports. Run's goroutine (through the
// publisher, saveState and the snapshot) writes it, the refresher and
// Status read it; every method is safe for concurrent use, and a nil
// *sourceStatus ignores writes (a publisher without a source).
type sourceStatus struct {
	rows report.RateMeter // rows acknowledged by Kafka

	refreshMu sync.Mutex // serializes refreshServer

	mu         sync.Mutex
	db         *sql.DB        // the source's pool while Run is connected
	recorded   event.Position // last position saved (where a restart resumes)
	read       event.Position // end of the last transaction read
	server     event.Position // the server's end of binlog, when known
	behind     int64          // bytes from recorded to server; -1 unknown
	refreshed  time.Time
	refreshErr error
	snap       *snapProgress
	// quarantined: the tables the source holds back (quarantine.go)
	quarantined []connector.QuarantinedTable
}

func (st *sourceStatus) setRecorded(p event.Position) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.recorded = p
	if st.read.File == "" {
		st.read = p
	}
	st.mu.Unlock()
}

func (st *sourceStatus) SetRead(p event.Position) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.read = p
	st.mu.Unlock()
}

func (st *sourceStatus) Published(rows int) {
	if st == nil || rows == 0 {
		return
	}
	st.rows.Add(rows)
}

// snapshotProgress records a snapshot's progress; a nil p clears it.
func (st *sourceStatus) snapshotProgress(p *snapProgress) {
	if st == nil {
		return
	}
	var c *snapProgress
	if p != nil {
		cp := *p
		c = &cp
	}
	st.mu.Lock()
	st.snap = c
	st.mu.Unlock()
}

// startStatus pre-creates the source's metric series, reads the server's
// binlog retention and starts the refresher of the server's end of binlog.
// It must run on Run's goroutine after the publisher exists; the returned
// stop ends the refresher and must be called before the pool is closed.
func (s *Source) startStatus(ctx context.Context) (stop func()) {
	s.initMetrics()
	s.pub.Stat = &s.stat
	s.stat.mu.Lock()
	s.stat.db = s.db
	s.stat.mu.Unlock()
	if secs, err := dbconn.BinlogRetention(ctx, s.db); err != nil {
		s.log.Warn("cannot read the server's binlog retention", "err", err)
	} else {
		s.env.Metrics.SourceBinlogRetention.WithLabelValues(s.labels[0], s.labels[1]).Set(secs)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(report.Refresh)
		defer t.Stop()
		for {
			s.refreshServer(rctx)
			select {
			case <-rctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		s.stat.mu.Lock()
		s.stat.db = nil
		s.stat.mu.Unlock()
	}
}

// initMetrics creates the source's series at zero, so that rate() and
// absence-based alerts work before the first change.
func (s *Source) initMetrics() {
	m, l0, l1 := s.env.Metrics, s.labels[0], s.labels[1]
	m.SourceTransactions.WithLabelValues(l0, l1)
	m.SourceBytes.WithLabelValues(l0, l1)
	m.Reconnects.WithLabelValues(l0, l1)
	m.ProduceSeconds.WithLabelValues(l0, l1)
	m.ProduceBatchMessages.WithLabelValues(l0, l1)
	for name := range s.tables {
		for _, op := range []event.Op{event.OpCreate, event.OpUpdate, event.OpDelete} {
			m.SourceRowsRead.WithLabelValues(l0, l1, name, string(op))
			m.SourceRowsPublished.WithLabelValues(l0, l1, name, string(op))
		}
	}
}

// refreshServer reads the server's binlog files and updates the end of
// binlog, the bytes behind it and their gauges. When the recorded position
// is the server's end, nothing is pending and the source lag is 0.
func (s *Source) refreshServer(ctx context.Context) {
	st := &s.stat
	st.refreshMu.Lock()
	defer st.refreshMu.Unlock()
	st.mu.Lock()
	db := st.db
	st.mu.Unlock()
	if db == nil {
		return
	}
	logs, err := dbconn.BinaryLogs(ctx, db)
	if ctx.Err() != nil {
		return
	}
	m, l0, l1 := s.env.Metrics, s.labels[0], s.labels[1]
	st.mu.Lock()
	defer st.mu.Unlock()
	st.refreshed, st.refreshErr = time.Now(), err
	if err != nil {
		st.behind = -1
		return
	}
	last := logs[len(logs)-1]
	st.server = event.Position{File: last.Name, Pos: uint64(last.Size)}
	st.behind = -1
	if st.recorded.File != "" {
		st.behind = dbconn.BinlogBehind(logs, st.recorded)
	}
	if st.behind >= 0 {
		m.SourceBinlogBehind.WithLabelValues(l0, l1).Set(float64(st.behind))
	}
	if st.behind == 0 {
		m.SourceLag.WithLabelValues(l0, l1).Set(0)
	}
}

// Status implements connector.Statuser. It reads the server's end of binlog
// afresh (bounded by statusQueryTimeout) when the last reading is older
// than a second, so a caller polling after writes sees them.
func (s *Source) Status(ctx context.Context) connector.Status {
	st := &s.stat
	st.mu.Lock()
	fresh := time.Since(st.refreshed) < time.Second
	st.mu.Unlock()
	if !fresh {
		qctx, cancel := context.WithTimeout(ctx, report.QueryTimeout)
		s.refreshServer(qctx)
		cancel()
	}
	out := connector.Status{RowsPerSecond: st.rows.Rate()}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.recorded.File != "" || st.read.File != "" {
		p := &connector.Position{BehindBytes: st.behind}
		p.File, p.Pos, p.GTID = toStatusPos(st.recorded)
		p.ReadFile, p.ReadPos, p.ReadGTID = toStatusPos(st.read)
		p.ServerFile, p.ServerPos, _ = toStatusPos(st.server)
		out.Position = p
	}
	if st.snap != nil {
		out.Snapshot = st.snap.status()
	}
	out.Quarantined = st.quarantined
	if st.refreshErr != nil {
		out.Details = map[string]any{"server_error": report.ShortErr(st.refreshErr)}
	}
	return out
}
