package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// Incremental snapshots copy tables while the binlog streams, without locks
// (the DBLog idea, as Debezium and Flink CDC use it), for tables added to
// tables:, snapshot requests (sluice snapshot, POST /snapshot), and the rest
// of an initial snapshot interrupted by a crash.
//
// The streamer's goroutine reads primary-key chunks between two
// transactions, while the stream is paused at position R (the end of the
// last transaction it read). It opens a MariaDB consistent snapshot, whose
// binlog_snapshot_file/position W is exact: the chunk holds the rows as of
// W, every transaction before W and none after it. W is the low and the
// high watermark at once. When R <= W the chunk is kept until the stream
// reaches W and is published there, between the transaction ending at W
// and the next one, with the Seq W-1/n (pub.snapSeq). For every key the
// sink then sees: the stream's changes up to W, the chunk's row as of W,
// the stream's changes after W, in Seq order: a row never goes back in
// time, and nothing the stream carries is lost. When R > W (a transaction
// is in the binlog but not yet visible to new snapshots, a window of
// microseconds) the chunk is not read; it is tried again.
//
// The chunk's marker carries its key range: the sink deletes the rows of
// that range the chunk does not hold, so a re-synced replica loses rows the
// source no longer has. Progress (the last key of the last chunk Kafka
// acknowledged) is saved with the stream position, which is at or after
// that chunk's W; a restart continues after that key, and the chunks it
// reads again get higher Seqs.
//
// SHOW MASTER STATUS before and after a plain SELECT would not do: the
// server writes a transaction to the binlog before its commit becomes
// visible, so a transaction just before the low watermark may be missing
// from the SELECT while the stream already published it, and the chunk's
// older row would win. MySQL has no binlog_snapshot_position, so on MySQL
// incremental snapshots are refused.

// incCatchUp is how far (binlog bytes) the stream may be behind a chunk's
// position for the chunk to be read: a chunk waits in memory until the
// stream reaches it, and is read with the definition the stream has.
const incCatchUp = 4 << 20

// incPipeline is how many chunks may wait for the stream at once: reading
// the next chunks while the stream catches up with the first hides the
// stream's lag behind the server.
const incPipeline = 8

// incSnap copies the tables of state.Tables, in order, chunk by chunk.
type incSnap struct {
	s       *Source
	queue   []*incTable
	pending []*incChunk // read, waiting for the stream to reach their position, in read order
	nextTry time.Time
	lastLog time.Time
}

// incTable is a table being copied.
type incTable struct {
	name      string
	reason    string
	def       *event.TableDef
	reader    *keyset.Reader
	after     [][]byte // key after which the next chunk to read starts
	published [][]byte // key after which the next chunk to publish starts
	readAll   bool     // its last chunk is read
	rows      int64    // rows published, over every run
	base      int64    // rows published before this run (for the rate)
	est       int64
	start     time.Time
}

// incChunk is a chunk read as of pos.
type incChunk struct {
	t   *incTable
	def *event.TableDef
	c   *keyset.Chunk
	pos event.Position
}

// newIncSnap builds the engine from the saved table snapshots.
func newIncSnap(s *Source) *incSnap {
	inc := &incSnap{s: s, lastLog: time.Now()}
	for _, t := range s.state.Tables {
		inc.queue = append(inc.queue, &incTable{name: t.Table, reason: t.Reason, after: t.LastKey, published: t.LastKey, rows: t.Rows})
	}
	return inc
}

// add queues a table snapshot, unless that table is queued already.
func (inc *incSnap) add(table, reason string) bool {
	for _, t := range inc.queue {
		if t.name == table {
			return false
		}
	}
	inc.queue = append(inc.queue, &incTable{name: table, reason: reason})
	inc.s.state.Tables = append(inc.s.state.Tables, checkpoint.TableSnapshot{Table: table, Reason: reason})
	return true
}

// toRead returns the first queued table with chunks left to read.
func (inc *incSnap) toRead() *incTable {
	for _, t := range inc.queue {
		if !t.readAll {
			return t
		}
	}
	return nil
}

// canRead reports whether a chunk may be read now.
func (inc *incSnap) canRead() bool {
	return len(inc.pending) < incPipeline && inc.toRead() != nil && !time.Now().Before(inc.nextTry)
}

// busy reports whether a chunk could be read or published now.
func (inc *incSnap) busy() bool {
	return inc != nil && (len(inc.pending) > 0 || inc.canRead())
}

// snapshotStep runs between binlog events, at a transaction boundary: it
// publishes the pending chunks the stream has reached, then reads the next
// chunk when one is due.
func (st *streamer) snapshotStep(ctx context.Context) error {
	s := st.s
	if err := s.pollSignals(ctx); err != nil {
		return err
	}
	if !st.txOpen && !s.pub.InTx() {
		if err := st.checkQuarantine(ctx); err != nil { // quarantine.go
			return err
		}
	}
	inc := s.snap.inc
	if inc == nil || st.txOpen || s.pub.InTx() {
		return nil
	}
	for len(inc.pending) > 0 && !posBefore(s.pub.Committed, inc.pending[0].pos) {
		if err := inc.publish(ctx); err != nil {
			return err
		}
	}
	if !inc.canRead() {
		return nil
	}
	if err := inc.read(ctx, st); err != nil {
		return err
	}
	for len(inc.pending) > 0 && !posBefore(s.pub.Committed, inc.pending[0].pos) {
		if err := inc.publish(ctx); err != nil {
			return err
		}
	}
	return nil
}

// read copies the next chunk in a consistent snapshot, if the stream has
// read nothing past the snapshot's position.
func (inc *incSnap) read(ctx context.Context, st *streamer) error {
	s, t := inc.s, inc.toRead()
	def := s.tables[t.name]
	if def == nil {
		if len(inc.pending) > 0 {
			inc.nextTry = time.Now().Add(10 * time.Millisecond) // publish what was read first
			return nil
		}
		s.log.Warn("incremental snapshot: table no longer selected or dropped; skipping it", "table", t.name)
		inc.finish(t, false)
		return nil
	}
	if t.reader == nil || t.reader.Def != def {
		old := t.reader
		t.reader = keyset.NewReader(def, s.cfg.SnapshotChunkSize)
		if (old != nil && !slices.Equal(old.Def.PrimaryKey, def.PrimaryKey)) || (t.after != nil && len(t.after) != len(def.PrimaryKey)) {
			s.log.Warn("incremental snapshot: the table's primary key changed; copying it from its first key again", "table", t.name)
			t.after, t.published = nil, nil
		}
	}
	if t.start.IsZero() {
		t.start, t.est, t.base = time.Now(), s.estimateRows(ctx, def), t.rows
		s.log.Info("incremental snapshot started", "table", t.name, "reason", t.reason, "rows_done", t.rows, "estimated", t.est)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	pos, err := beginMariaDBSnapshot(ctx, conn)
	if err != nil {
		return err
	}
	switch {
	case posBefore(pos, st.lastTx):
		inc.nextTry = time.Now().Add(2 * time.Millisecond) // a commit not yet visible
		return nil
	case behind(st.s.pub.Committed, pos) > incCatchUp:
		inc.nextTry = time.Now().Add(100 * time.Millisecond) // let the stream catch up first
		return nil
	}
	c, err := t.reader.Read(ctx, conn, t.after)
	var me *drv.MySQLError
	if err != nil && errors.As(err, &me) && schemaMoved(me.Number) && posBefore(s.pub.Committed, pos) {
		// The server's table is newer than the definition at the stream's
		// position: a DDL (a key column renamed or dropped, the table
		// renamed) lies between the two. Read again once the stream has
		// passed it (found by the differential fuzzer).
		s.log.Debug("incremental snapshot: the table changed ahead of the stream; reading again once it catches up", "table", t.name, "err", err)
		inc.nextTry = time.Now().Add(50 * time.Millisecond)
		return nil
	}
	if err != nil && errors.Is(err, value.ErrUnsupported) && s.canQuarantine() {
		// A column sluice cannot convert: the table is quarantined for it
		// (its copy stops) instead of the source restarting on it.
		return s.quarantine(t.name, kindUnsupported, err.Error(), fixUnsupported, "incremental snapshot", err)
	}
	if err != nil {
		return err
	}
	t.after, t.readAll = c.LastKey, c.Last
	inc.pending = append(inc.pending, &incChunk{t: t, def: def, c: c, pos: pos})
	return nil
}

// schemaMoved reports whether a server error means the table's definition
// on the server differs from the one the query was built from: unknown
// column, table or key.
func schemaMoved(code uint16) bool {
	switch code {
	case 1054, 1146, 1176, 1072:
		return true
	}
	return false
}

// behind returns the binlog bytes from a to b, or a large number when b is
// in a later file.
func behind(a, b event.Position) int64 {
	if a.File != b.File {
		if posBefore(b, a) {
			return 0
		}
		return 1 << 40
	}
	return int64(b.Pos) - int64(a.Pos)
}

// publish queues the first pending chunk at the stream's position. A
// chunk read with a definition the stream has since replaced is dropped,
// with the chunks of its table read after it, and read again.
func (inc *incSnap) publish(ctx context.Context) error {
	s, p := inc.s, inc.pending[0]
	inc.pending = inc.pending[1:]
	if s.tables[p.t.name] != p.def {
		s.log.Info("incremental snapshot: table definition changed at the chunk's position; reading the chunk again", "table", p.t.name)
		kept := inc.pending[:0]
		for _, q := range inc.pending {
			if q.t != p.t {
				kept = append(kept, q)
			}
		}
		inc.pending = kept
		p.t.after, p.t.readAll = p.t.published, false
		return nil
	}
	seq, err := s.snapSeq(ctx, p.pos)
	if err != nil {
		return err
	}
	rng := &event.KeyRange{Table: p.t.name}
	if rng.After, err = p.t.reader.KeyRow(p.c.After); err != nil {
		return err
	}
	if !p.c.Last {
		if rng.Through, err = p.t.reader.KeyRow(p.c.LastKey); err != nil {
			return err
		}
	}
	at := s.pub.Committed
	if err := s.publishChunk(ctx, p.def, p.c, fmt.Sprintf("snapshot:%s", seq), seq, at, "incremental", rng); err != nil {
		return err
	}
	p.t.published = p.c.LastKey
	p.t.rows += int64(len(p.c.Rows))
	s.noteChunk(snapAck{seq: s.pub.CommittedSeq, table: p.t.name, lastKey: p.c.LastKey, rows: p.t.rows, done: p.c.Last})
	inc.progress(p.t)
	if p.c.Last {
		inc.finish(p.t, true)
	}
	return nil
}

// finish takes t off the queue. With copied set its end is recorded by
// ackedProgress once acknowledged; otherwise it leaves state.Tables now.
func (inc *incSnap) finish(t *incTable, copied bool) {
	s := inc.s
	for i, x := range inc.queue {
		if x == t {
			inc.queue = append(inc.queue[:i:i], inc.queue[i+1:]...)
			break
		}
	}
	if !copied {
		for i, x := range s.state.Tables {
			if x.Table == t.name {
				s.state.Tables = append(s.state.Tables[:i:i], s.state.Tables[i+1:]...)
				break
			}
		}
		delete(s.snap.covered, t.name)
		return
	}
	el := time.Since(t.start).Seconds()
	s.stat.snapshotProgress(nil)
	s.log.Info("incremental snapshot table done", "table", t.name, "reason", t.reason, "rows", t.rows,
		"seconds", el, "rows_per_s", int(float64(t.rows-t.base)/max(el, 1e-3)))
}

// progress updates the status and logs every 5 seconds.
func (inc *incSnap) progress(t *incTable) {
	p := snapProgress{start: t.start, done: t.rows - t.base, total: max(t.est, t.rows) - t.base, table: t.name}
	inc.s.stat.snapshotProgress(&p)
	if time.Since(inc.lastLog) < 5*time.Second {
		return
	}
	inc.lastLog = time.Now()
	left := "unknown"
	if d, ok := p.left(); ok {
		left = d.Round(time.Second).String()
	}
	inc.s.log.Info("snapshot progress", "table", t.name, "incremental", true, "table_rows", t.rows, "table_estimated", t.est,
		"rows", t.rows, "estimated", max(t.est, t.rows), "rows_per_s", int(p.rate()), "time_left", left, "queued_tables", len(inc.queue)-1)
}

// eventWait says how long the streamer may wait for the next binlog event:
// not at all when a chunk is due, briefly while snapshot work or signals
// are pending; block (0) when the engine has nothing to do on MySQL.
func (st *streamer) eventWait(idle bool) time.Duration {
	inc := st.s.snap.inc
	switch {
	case inc != nil && inc.canRead():
		return time.Millisecond
	case !idle:
		return publish.FlushDelay
	case inc != nil || st.s.signalsEnabled():
		return signalPoll
	}
	return 0
}
