package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/binlog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// streamer turns binlog events into published transactions.
type streamer struct {
	s       *Source
	file    string // current binlog file
	txStart uint32 // position of the first event of the open transaction
	txOpen  bool
	gtid    string // GTID of the open transaction
	gtidSet gomysql.GTIDSet
	thread  uint32
	lastCkp time.Time
	lastTx  event.Position // end of the last transaction read (snapshot_incr.go)
	wait    eventTimer     // bounds next's wait for an event
}

// eventTimer bounds the wait for the next event without a new context and
// timer for each event (on a stream of small transactions they cost a
// tenth of the reader's CPU): one child context of the stream's, canceled
// by one timer that each wait re-arms; a new pair only once the timer
// fired.
type eventTimer struct {
	ctx    context.Context
	cancel context.CancelFunc
	timer  *time.Timer
}

// arm returns a context canceled after d (or with parent).
func (w *eventTimer) arm(parent context.Context, d time.Duration) context.Context {
	if w.ctx == nil {
		w.ctx, w.cancel = context.WithCancel(parent)
		w.timer = time.AfterFunc(d, w.cancel)
		return w.ctx
	}
	w.timer.Reset(d)
	return w.ctx
}

// disarm stops the timer; once it fired (or is firing) the next arm makes
// a new pair.
func (w *eventTimer) disarm() {
	if w.timer != nil && !w.timer.Stop() {
		w.ctx = nil
	}
}

// release cancels the current context.
func (w *eventTimer) release() {
	if w.cancel != nil {
		w.timer.Stop()
		w.cancel()
	}
}

// stream reads the binlog from pos until ctx is done or an error. It never
// resumes mid-transaction by itself: go-mysql's retry is disabled and any
// error returns, so the caller restarts from the last saved position.
func (s *Source) stream(ctx context.Context, pos event.Position) (err error) {
	defer func() {
		// The stream broke (server restarted, network cut, Kafka gone):
		// the supervisor reconnects from the recorded position, which is
		// never inside a transaction; the partial one is dropped.
		if err != nil && ctx.Err() == nil && !connector.IsFatal(err) {
			s.env.Metrics.Reconnects.WithLabelValues(s.labels[0], s.labels[1]).Inc()
		}
	}()
	host, port, err := dbconn.HostPort(s.dbCfg)
	if err != nil {
		return err
	}
	cfg := replication.BinlogSyncerConfig{
		ServerID: s.cfg.ServerID, Flavor: s.info.Flavor, Host: host, Port: port,
		User: s.dbCfg.User, Password: s.dbCfg.Passwd,
		HeartbeatPeriod: 5 * time.Second, ReadTimeout: 30 * time.Second,
		DisableRetrySync: true, MaxReconnectAttempts: 1,
		// go-mysql queues decoded events ahead of the reader (10240 by
		// default: about 500 MB of decoded rows in a large transaction).
		EventCacheCount: 256,
		Logger:          discardLogger(),
		Dialer:          binlog.Dialer, // stream_conn.go
	}
	value.ConfigureSyncer(&cfg)
	cfg.TLSConfig = dbconn.BinlogTLS(ctx, s.db, s.dbCfg)
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()
	bs, err := syncer.StartSync(gomysql.Position{Name: pos.File, Pos: uint32(pos.Pos)})
	if err != nil {
		return fmt.Errorf("start binlog stream at %s: %w", pos, err)
	}
	st := &streamer{s: s, file: pos.File, lastCkp: time.Now(), lastTx: pos}
	defer st.wait.release()
	// The GTID set after each transaction goes with its position, so that
	// another server can take over from it (failover.go). A MariaDB
	// position without one has no GTID before it: the set starts empty.
	if pos.GTID != "" || s.info.Flavor == "mariadb" {
		if st.gtidSet, err = binlog.ParseGTIDs(s.info.Flavor, pos.GTID); err != nil {
			return fmt.Errorf("parse GTID set %q: %w", pos.GTID, err)
		}
	}
	s.SetReady(nil)
	for {
		if err := st.captureDue(ctx); err != nil { // history.go: tables added to tables:
			return err
		}
		if err := st.snapshotStep(ctx); err != nil {
			return err
		}
		ev, err := st.next(ctx, bs)
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return st.stopCleanly()
			}
			return err
		}
		if ev != nil {
			if err := st.handle(ctx, ev); err != nil {
				return err
			}
		}
		if err := st.maybeFlush(ctx); err != nil {
			return err
		}
	}
}

// next returns the next event, or nil when none arrived within the flush
// delay while rows are queued or in flight (so queued rows do not wait for
// more traffic, and acknowledgements are taken in).
func (st *streamer) next(ctx context.Context, bs *replication.BinlogStreamer) (*replication.BinlogEvent, error) {
	wait := st.eventWait(st.s.pub.Idle() && st.s.pub.Acked == st.s.state.Position)
	if wait == 0 {
		return bs.GetEvent(ctx) // nothing to flush, record or snapshot: wait for the server
	}
	tctx := st.wait.arm(ctx, wait)
	ev, err := bs.GetEvent(tctx)
	st.wait.disarm()
	if err != nil && ctx.Err() == nil && tctx.Err() != nil { // the wait ran out
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("binlog stream at %s:%d: %w", st.file, st.s.pub.Committed.Pos, err)
	}
	return ev, nil
}

func (st *streamer) maybeFlush(ctx context.Context) error {
	pub := st.s.pub
	if err := pub.Reap(ctx, false); err != nil { // publisher_flight.go: take in acknowledgements
		return err
	}
	if pub.Due(publish.FlushRows, publish.FlushBytes, publish.FlushDelay) {
		if err := pub.Send(ctx); err != nil { // the reader decodes on while Kafka acknowledges
			return err
		}
	}
	if time.Since(st.lastCkp) >= checkpointEvery && pub.Acked != st.s.state.Position {
		st.lastCkp = time.Now()
		if err := st.s.saveState(ctx); err != nil {
			return err
		}
	} else if time.Since(st.lastCkp) >= checkpointEvery {
		st.lastCkp = time.Now()
	}
	return nil
}

// stopCleanly records the last acknowledged transaction boundary when the
// reader is asked to stop, so that a restart does not read again what
// Kafka already has (that would be harmless, only slower).
func (st *streamer) stopCleanly() error {
	_ = st.s.pub.Reap(context.Background(), false) // batches acknowledged before the stop count
	if st.s.pub.Acked == st.s.state.Position {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := st.s.saveState(ctx); err != nil {
		st.s.log.Warn("could not record the position at stop; the next start reads again from the last one recorded", "err", err)
	}
	return nil
}

func (st *streamer) where(h *replication.EventHeader) string {
	return fmt.Sprintf("%s:%d", st.file, st.eventStart(h))
}

func (st *streamer) handle(ctx context.Context, ev *replication.BinlogEvent) error {
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		st.file = string(e.NextLogName)
		if !st.txOpen {
			return st.s.pub.Commit(st.position(e.Position), 0)
		}
	case *replication.MariadbGTIDEvent:
		st.begin(h)
		st.gtid = e.GTID.String()
		st.xaBegin(e) // xa.go
	case *replication.GTIDEvent:
		st.begin(h)
		if g, err := e.GTIDNext(); err == nil {
			st.gtid = g.String()
		}
	case *replication.QueryEvent:
		return st.query(ctx, h, e)
	case *replication.XIDEvent:
		return st.commit(h)
	case *replication.RowsEvent:
		return st.rows(ctx, h, e)
	case *replication.TransactionPayloadEvent:
		return st.payload(ctx, h, e) // mysql8.go: MySQL 8's compressed transactions
	case *replication.FormatDescriptionEvent, *replication.PreviousGTIDsEvent,
		*replication.MariadbGTIDListEvent, *replication.MariadbBinlogCheckPointEvent:
		return st.passMeta(h)
	default:
		return st.otherEvent(h, ev.Event) // stream_edge.go: pass harmless events, stop on the rest
	}
	return nil
}

// passMeta moves the position past an event outside any transaction, so a
// caught-up reader sits at the server's end of binlog (after a rotation
// too). It never moves back: a stream started mid-file first gets the
// file's format description again.
func (st *streamer) passMeta(h *replication.EventHeader) error {
	cur := st.s.pub.Committed
	if st.txOpen || h.LogPos == 0 || (cur.File == st.file && uint64(h.LogPos) <= cur.Pos) {
		return nil
	}
	return st.s.pub.Commit(st.position(uint64(h.LogPos)), 0)
}

// begin opens a transaction at the event in h. The Seq of a streamed
// transaction is the position of its first event, known before its rows.
func (st *streamer) begin(h *replication.EventHeader) {
	if st.txOpen {
		return
	}
	st.txStart = st.eventStart(h)
	st.txOpen = true
	st.gtid = ""
	// The thread of a transaction is that of its BEGIN or DDL query event;
	// MariaDB writes none for a transaction (its GTID event stands for
	// BEGIN), so its rows carry no thread rather than the last query's.
	st.thread = 0
}

func (st *streamer) ensurePubTx() error {
	if st.s.pub.InTx() {
		return nil
	}
	seq, err := st.s.seqAt(st.file, uint64(st.txStart), 0)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("%s:%d", st.file, st.txStart)
	if st.gtid != "" {
		id = st.gtid
	}
	st.s.pub.Begin(id, seq, false)
	return nil
}

func (st *streamer) query(ctx context.Context, h *replication.EventHeader, e *replication.QueryEvent) error {
	q := strings.TrimSpace(string(e.Query))
	st.thread = e.SlaveProxyID
	switch up := strings.ToUpper(q); {
	case up == "BEGIN":
		st.begin(h)
		st.thread = e.SlaveProxyID
		return nil
	case up == "COMMIT" || up == "ROLLBACK":
		// Non-transactional tables end their group this way; their changes
		// are in the binlog because they were kept.
		return st.commit(h)
	case strings.HasPrefix(up, "XA "):
		return st.xaQuery(ctx, h, q) // xa.go
	case strings.HasPrefix(up, "SAVEPOINT") || strings.HasPrefix(up, "ROLLBACK TO"):
		return nil
	}
	if dml, err := st.statementDML(h, string(e.Schema), q); dml || err != nil {
		return err // a data change logged as a statement: refused on selected tables
	}
	// A DDL statement is a transaction of its own.
	st.begin(h)
	st.thread = e.SlaveProxyID
	err := st.ddl(ctx, h, string(e.Schema), q)
	if err == nil {
		err = st.commit(h)
	}
	st.s.afterDDL(q) // covers tables it created, snapshots tables it made appear
	if err != nil {
		return err
	}
	return st.recordDDL(ctx)
}

// recordDDL waits until Kafka acknowledged everything up to the DDL just
// committed and records that position: afterDDL changed the covered set,
// and a checkpoint must never pair it with a position before the DDL (the
// publisher acknowledges behind the reader). A restart at such a position
// saw a table the DDL later dropped as "not yet copied" and tried to
// snapshot a table that no longer exists, forever.
func (st *streamer) recordDDL(ctx context.Context) error {
	if err := st.s.pub.Flush(ctx); err != nil {
		return err
	}
	st.lastCkp = time.Now()
	return st.s.saveState(ctx)
}

func (st *streamer) position(pos uint64) event.Position {
	p := event.Position{File: st.file, Pos: pos}
	if st.gtidSet != nil {
		p.GTID = st.gtidSet.String()
	}
	return p
}

func (st *streamer) commit(h *replication.EventHeader) error {
	if st.gtidSet != nil && st.gtid != "" {
		if err := st.gtidSet.Update(st.gtid); err != nil {
			return fmt.Errorf("binlog %s: GTID %s: %w", st.where(h), st.gtid, err)
		}
	}
	st.txOpen = false
	st.lastTx = st.position(uint64(h.LogPos))
	if h.Timestamp > 0 {
		lag := clock.Since(time.Unix(int64(h.Timestamp), 0)).Seconds() // a step of the host clock does not move it
		st.s.env.Metrics.SourceLag.WithLabelValues(st.s.labels[0], st.s.labels[1]).Set(lag)
	}
	if h.LogPos == 0 {
		return fmt.Errorf("binlog %s: commit event without end position: cannot record a resume point", st.file)
	}
	return st.s.pub.Commit(st.position(uint64(h.LogPos)), int64(h.Timestamp)*1000)
}
