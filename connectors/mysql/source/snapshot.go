package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/faults"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/event"
	"golang.org/x/sync/errgroup"
)

// snapshot copies every selected table as of one consistent view, in
// primary-key chunks, snapshot_parallelism tables at a time, and returns the
// binlog position of that view: streaming from there misses and doubles
// nothing. Chunks are transactions whose Seq sits just below that position.
//
// Progress is recorded per table (the last key of the last chunk Kafka
// acknowledged) with the view's position. If the process dies, the next
// start (MariaDB) streams from that position and copies the rest of each
// table with incremental snapshots (snapshot_incr.go): rows already copied
// were read at the position streaming starts from; the rest are read later
// and placed in the stream at the position they were read at. truncate
// lists tables a sink must empty first (a snapshot started over).
func (s *Source) snapshot(ctx context.Context, attempt uint64, truncate []string) (event.Position, error) {
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	conns, pos, err := s.openViews(ctx, min(max(s.cfg.SnapshotParallel, 1), max(len(names), 1)))
	if err != nil {
		return event.Position{}, err
	}
	defer func() {
		for _, c := range conns {
			c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		}
	}()
	if err := s.defsStable(ctx, names); err != nil { // snapshot_defs.go
		return event.Position{}, err
	}
	// Record the view's position and the tables before publishing anything:
	// a crash from here on resumes (or, on MySQL, restarts) this snapshot.
	s.pub.Acked, s.pub.Committed = pos, pos
	prev := s.state
	s.state = checkpoint.SourceState{Snapshot: checkpoint.SnapshotRunning, SnapshotTables: names,
		SnapshotAttempt: attempt, SnapshotSeq: prev.SnapshotSeq, SignalOffset: s.signalEnd(ctx, prev.SignalOffset)}
	for _, n := range names {
		s.state.Tables = append(s.state.Tables, checkpoint.TableSnapshot{Table: n, Reason: "initial"})
	}
	s.snap.covered = map[string]bool{}
	if err := s.saveState(ctx); err != nil {
		return event.Position{}, err
	}
	if len(truncate) > 0 {
		seq, err := s.snapSeq(ctx, pos)
		if err != nil {
			return event.Position{}, err
		}
		s.pub.Begin(fmt.Sprintf("snapshot:%d:truncate", attempt), seq, true)
		s.pub.Truncate(truncate)
		if err := s.pub.Commit(pos, clock.Now().UnixMilli()); err != nil {
			return event.Position{}, err
		}
	}
	if err := s.snapshotDatabases(ctx, attempt, pos, names); err != nil {
		return event.Position{}, err
	}
	sc := &snapshotter{s: s, pos: pos, attempt: attempt}
	sc.estimate(ctx, names)
	s.log.Info("snapshot started", "tables", len(names), "position", pos.String(), "parallelism", len(conns),
		"estimated_rows", sc.prog.total, "attempt", attempt)
	if err := sc.run(ctx, conns, names); err != nil {
		return event.Position{}, err
	}
	if err := s.pub.Flush(ctx); err != nil {
		return event.Position{}, err
	}
	s.state.Snapshot = checkpoint.SnapshotDone
	if err := s.saveState(ctx); err != nil {
		return event.Position{}, err
	}
	sc.prog.finished = true
	s.stat.snapshotProgress(&sc.prog)
	s.log.Info("snapshot done", "tables", len(names), "rows", sc.prog.done, "position", pos.String(),
		"parallelism", len(conns), "seconds", int(time.Since(sc.prog.start).Seconds()), "rows_per_s", int(sc.prog.rate()))
	return pos, nil
}

// openViews opens n connections that read the same consistent view and
// returns them with the view's binlog position. On MariaDB each connection
// opens its own snapshot without locks; when writes land between them and
// their positions differ it tries again, and after a few tries it falls back
// to one connection. On MySQL a brief global read lock pins one view for all.
func (s *Source) openViews(ctx context.Context, n int) ([]*sql.Conn, event.Position, error) {
	closeAll := func(cs []*sql.Conn) {
		for _, c := range cs {
			c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		}
	}
	for try := 0; ; try++ {
		if try == 20 && n > 1 {
			s.log.Warn("snapshot: could not open parallel views at one binlog position under the current writes; copying one table at a time", "parallelism", n)
			n = 1
		}
		conns := make([]*sql.Conn, 0, n)
		for range n {
			c, err := s.db.Conn(ctx)
			if err != nil {
				closeAll(conns)
				return nil, event.Position{}, err
			}
			conns = append(conns, c)
		}
		pos, same, err := s.beginViews(ctx, conns)
		if err != nil {
			closeAll(conns)
			return nil, event.Position{}, err
		}
		if same {
			return conns, pos, nil
		}
		closeAll(conns)
		select {
		case <-ctx.Done():
			return nil, event.Position{}, ctx.Err()
		case <-time.After(time.Duration(try+1) * 5 * time.Millisecond):
		}
	}
}

// beginViews starts a consistent-snapshot transaction on every connection
// and reports whether they all see the binlog position pos.
func (s *Source) beginViews(ctx context.Context, conns []*sql.Conn) (pos event.Position, same bool, err error) {
	for _, c := range conns {
		if _, err := c.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return pos, false, fmt.Errorf("snapshot: %w", err)
		}
	}
	if s.info.Flavor == "mariadb" {
		for i, c := range conns {
			p, err := beginMariaDBSnapshot(ctx, c)
			if err != nil {
				return pos, false, err
			}
			if i == 0 {
				pos = p
			} else if p != pos {
				return pos, false, nil
			}
		}
		pos.GTID, err = gtidAt(ctx, s.db, s.info.Flavor, pos)
		return pos, true, err
	}
	if _, err := conns[0].ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
		return pos, false, fmt.Errorf("snapshot: FLUSH TABLES WITH READ LOCK: %w (the source user needs RELOAD for a consistent snapshot on MySQL)", err)
	}
	defer conns[0].ExecContext(context.Background(), "UNLOCK TABLES")
	for _, c := range conns {
		if _, err := c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return pos, false, fmt.Errorf("snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT: %w", err)
		}
	}
	pos, err = masterPositionConn(ctx, conns[0])
	return pos, err == nil, err
}

// beginMariaDBSnapshot starts a consistent-snapshot transaction on conn and
// returns the binlog position it sees exactly (binlog_snapshot_file and
// binlog_snapshot_position, which MariaDB takes under the same lock as the
// read view): every transaction before it is visible, none after it.
func beginMariaDBSnapshot(ctx context.Context, conn *sql.Conn) (event.Position, error) {
	var pos event.Position
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return pos, fmt.Errorf("snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT: %w", err)
	}
	rows, err := conn.QueryContext(ctx, "SHOW STATUS WHERE Variable_name IN ('binlog_snapshot_file', 'binlog_snapshot_position')")
	if err != nil {
		return pos, fmt.Errorf("snapshot: binlog_snapshot_file/position: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			return pos, err
		}
		switch name {
		case "binlog_snapshot_file", "Binlog_snapshot_file":
			pos.File = v
		default:
			fmt.Sscan(v, &pos.Pos)
		}
	}
	if err := rows.Err(); err != nil {
		return pos, err
	}
	if pos.File == "" || pos.Pos == 0 {
		return pos, errors.New("snapshot: the server reported no binlog_snapshot_file/position")
	}
	return pos, nil
}

func masterPositionConn(ctx context.Context, conn *sql.Conn) (event.Position, error) {
	var pos event.Position
	var doDB, ignoreDB, gtid sql.NullString
	if err := conn.QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&pos.File, &pos.Pos, &doDB, &ignoreDB, &gtid); err != nil {
		return pos, fmt.Errorf("snapshot: SHOW MASTER STATUS: %w", err)
	}
	pos.GTID = gtid.String
	return pos, nil
}

// tableChunk is one chunk read by a snapshot worker.
type tableChunk struct {
	def *event.TableDef
	c   *keyset.Chunk
}

// run copies names with one worker per connection. Workers only read; this
// goroutine publishes, since the publisher is not safe for concurrent use.
// The chunks of one table stay in order (one worker copies a whole table).
func (sc *snapshotter) run(ctx context.Context, conns []*sql.Conn, names []string) error {
	s := sc.s
	work := make(chan string, len(names))
	for _, n := range names {
		work <- n
	}
	close(work)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan tableChunk, len(conns))
	g, gctx := errgroup.WithContext(wctx)
	for _, conn := range conns {
		g.Go(func() error {
			for name := range work {
				def := s.tables[name]
				r := keyset.NewReader(def, s.cfg.SnapshotChunkSize)
				var after [][]byte
				for {
					c, err := r.Read(gctx, conn, after)
					if err != nil {
						return err
					}
					select {
					case out <- tableChunk{def, c}:
					case <-gctx.Done():
						return gctx.Err()
					}
					if c.Last {
						break
					}
					after = c.LastKey
				}
			}
			return nil
		})
	}
	werr := make(chan error, 1)
	go func() { werr <- g.Wait(); close(out) }()
	var perr error
	for tc := range out {
		if perr == nil {
			if perr = sc.publish(ctx, tc, names[len(names)-1]); perr != nil {
				cancel() // stop the workers; drain what they sent
			}
		}
	}
	if err := <-werr; err != nil && perr == nil {
		return err
	}
	return perr
}

// publish queues one chunk and records its progress, saving the
// checkpoint when chunks were acknowledged since the last save.
func (sc *snapshotter) publish(ctx context.Context, tc tableChunk, lastTable string) error {
	s := sc.s
	name := tc.def.Name()
	sc.tableRows[name] += int64(len(tc.c.Rows))
	// An empty table is one empty chunk with the whole table as its range:
	// the sinks create the table and hold no row of it, as the source.
	var whole *event.KeyRange
	if len(tc.c.Rows) == 0 && tc.c.After == nil {
		whole = &event.KeyRange{Table: name}
	}
	if len(tc.c.Rows) > 0 || whole != nil || tc.c.Replace {
		seq, err := s.snapSeq(ctx, sc.pos)
		if err != nil {
			return err
		}
		snap := "true"
		if name == lastTable {
			snap = "last_table"
		}
		if err := s.publishChunk(ctx, tc.def, tc.c, fmt.Sprintf("snapshot:%s", seq), seq, sc.pos, snap, whole); err != nil {
			return err
		}
		if faults.SnapshotChunkDelay > 0 { // testhook.go
			time.Sleep(faults.SnapshotChunkDelay)
		}
	}
	s.noteChunk(snapAck{seq: s.pub.CommittedSeq, table: name, lastKey: tc.c.LastKey, rows: sc.tableRows[name], done: tc.c.Last})
	sc.progress(name, int64(len(tc.c.Rows)), sc.tableRows[name])
	if tc.c.Last {
		el := time.Since(sc.prog.start).Seconds()
		s.log.Info("snapshot table done", "table", name, "rows", sc.tableRows[name], "seconds", el,
			"rows_per_s", int(float64(sc.tableRows[name])/max(el, 1e-3)))
	}
	if err := s.pub.Reap(ctx, false); err != nil { // take back what Kafka acknowledged meanwhile (publisher_flight.go)
		return err
	}
	if s.ackedProgress() && time.Since(sc.lastSave) >= checkpointEvery/2 {
		sc.lastSave = time.Now()
		return s.saveState(ctx)
	}
	return nil
}

// snapshotDatabases publishes, ahead of the rows, a schema change that
// gives every selected database of the source without a table to copy
// (tables: "db.table" names) its default character set and collation on
// the replicas: created when missing, altered when there. Such a database
// would otherwise be missing on the replicas, and one a sink creates later
// for a new table would lack the collation. A database with tables is
// created by the sinks with the first of them, with its defaults.
func (s *Source) snapshotDatabases(ctx context.Context, attempt uint64, pos event.Position, tables []string) error {
	copied := map[string]bool{}
	for _, name := range tables {
		db, _, _ := strings.Cut(name, ".")
		copied[db] = true
	}
	d := &event.DDL{}
	for _, name := range slices.Sorted(maps.Keys(s.schema.Charsets)) { // read from the server with the history (readCharsets)
		cs, co := s.schema.Charsets[name], s.schema.Collations[name]
		if copied[name] || !s.schema.DBSelected(name) || !catalog.IsCharsetName(cs) || !catalog.IsCharsetName(co) {
			continue
		}
		opts := " CHARACTER SET " + cs + " COLLATE " + co
		d.Statements = append(d.Statements, "CREATE DATABASE IF NOT EXISTS "+dbconn.QuoteIdent(name)+opts,
			"ALTER DATABASE "+dbconn.QuoteIdent(name)+opts)
		d.Databases = append(d.Databases, name)
	}
	if len(d.Statements) == 0 {
		return nil
	}
	seq, err := s.snapSeq(ctx, pos)
	if err != nil {
		return err
	}
	s.pub.Begin(fmt.Sprintf("snapshot:%d:databases", attempt), seq, true)
	s.pub.SetDDL(d)
	return s.pub.Commit(pos, clock.Now().UnixMilli())
}
