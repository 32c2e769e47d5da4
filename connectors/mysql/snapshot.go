package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// chunksPerAttempt spaces the chunk numbers of successive snapshot attempts.
const chunksPerAttempt = 100_000_000

// snapshot copies every selected table inside one consistent-snapshot
// transaction, in primary-key chunks, and returns the binlog position that
// transaction saw: streaming from there misses and doubles nothing. Chunks
// are published as transactions whose Seq sits just below that position.
func (s *Source) snapshot(ctx context.Context, attempt uint64, truncate []string) (event.Position, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return event.Position{}, err
	}
	defer conn.Close()
	pos, err := s.beginConsistent(ctx, conn)
	if err != nil {
		return event.Position{}, err
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	// Record the attempt before publishing anything, so a crash from here on
	// restarts with a higher attempt number and the same truncations.
	s.state = checkpoint.SourceState{Snapshot: checkpoint.SnapshotRunning, SnapshotTables: names, SnapshotAttempt: attempt}
	if err := s.saveState(ctx); err != nil {
		return event.Position{}, err
	}
	fileNum, err := event.BinlogFileNumber(pos.File)
	if err != nil {
		return event.Position{}, err
	}
	seqAt := func(chunk uint64) event.Seq {
		return event.MakeSeq(fileNum, pos.Pos-1, attempt*chunksPerAttempt+chunk)
	}
	tsMs := time.Now().UnixMilli()
	if len(truncate) > 0 {
		s.pub.Begin(fmt.Sprintf("snapshot:%d:truncate", attempt), seqAt(0), true)
		s.pub.Truncate(truncate)
		if err := s.pub.Commit(pos, tsMs); err != nil {
			return event.Position{}, err
		}
	}
	sc := &snapshotter{s: s, conn: conn, pos: pos, tsMs: tsMs, seqAt: seqAt, attempt: attempt, chunk: 1}
	sc.estimate(ctx, names)
	for i, n := range names {
		if err := sc.table(ctx, s.tables[n], i == len(names)-1); err != nil {
			return event.Position{}, err
		}
	}
	s.pub.committed = pos
	if err := s.pub.Flush(ctx); err != nil {
		return event.Position{}, err
	}
	s.state.Snapshot = checkpoint.SnapshotDone
	if err := s.saveState(ctx); err != nil {
		return event.Position{}, err
	}
	sc.prog.finished = true
	s.stat.snapshotProgress(&sc.prog)
	s.log.Info("snapshot done", "tables", len(names), "rows", sc.total, "position", pos.String(),
		"seconds", int(time.Since(sc.prog.start).Seconds()), "rows_per_s", int(sc.prog.rate()))
	return pos, nil
}

// beginConsistent starts a consistent-snapshot transaction on conn and
// returns the binlog position it corresponds to. MariaDB reports it without
// locks (binlog_snapshot_file/position); MySQL needs a brief global read lock.
func (s *Source) beginConsistent(ctx context.Context, conn *sql.Conn) (event.Position, error) {
	exec := func(q string) error {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("snapshot: %s: %w", q, err)
		}
		return nil
	}
	if err := exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return event.Position{}, err
	}
	var pos event.Position
	if s.info.Flavor == "mariadb" {
		if err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return pos, err
		}
		var name string
		if err := conn.QueryRowContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_file'").Scan(&name, &pos.File); err != nil {
			return pos, fmt.Errorf("snapshot: binlog_snapshot_file: %w", err)
		}
		var p string
		if err := conn.QueryRowContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_position'").Scan(&name, &p); err != nil {
			return pos, fmt.Errorf("snapshot: binlog_snapshot_position: %w", err)
		}
		fmt.Sscan(p, &pos.Pos)
		g, err := gtidAt(ctx, s.db, s.info.Flavor, pos)
		pos.GTID = g
		return pos, err
	}
	if err := exec("FLUSH TABLES WITH READ LOCK"); err != nil {
		return pos, fmt.Errorf("%w (the source user needs RELOAD for a consistent snapshot on MySQL)", err)
	}
	defer conn.ExecContext(context.Background(), "UNLOCK TABLES")
	if err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return pos, err
	}
	return masterPositionConn(ctx, conn)
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

// snapshotter copies tables for one snapshot attempt.
type snapshotter struct {
	s       *Source
	conn    *sql.Conn
	pos     event.Position
	tsMs    int64
	seqAt   func(uint64) event.Seq
	attempt uint64
	chunk   uint64
	total   int64

	estimates map[string]int64 // "db.table" -> estimated rows
	prog      snapProgress     // over all tables
	lastLog   time.Time
}

// estimate reads the estimated row count of every table to copy.
func (sc *snapshotter) estimate(ctx context.Context, names []string) {
	s := sc.s
	sc.estimates = map[string]int64{}
	for _, n := range names {
		def := s.tables[n]
		var est int64
		_ = s.db.QueryRowContext(ctx, "SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
			def.DB, def.Table).Scan(&est)
		s.env.Metrics.SnapshotRowsTotal.WithLabelValues(s.labels[0], s.labels[1], n).Set(float64(est))
		sc.estimates[n] = est
		sc.prog.total += est
	}
	sc.prog.start, sc.lastLog = time.Now(), time.Now()
	s.stat.snapshotProgress(&sc.prog)
}

// progress records n more rows of table (done so far in it) and logs the
// progress every 5 seconds, with the rate and the time left overall.
func (sc *snapshotter) progress(table string, n, done int64) {
	sc.prog.done += n
	sc.prog.table = table
	sc.s.stat.snapshotProgress(&sc.prog)
	if time.Since(sc.lastLog) < 5*time.Second {
		return
	}
	sc.lastLog = time.Now()
	left := "unknown"
	if d, ok := sc.prog.left(); ok {
		left = d.Round(time.Second).String()
	}
	sc.s.log.Info("snapshot progress", "table", table, "table_rows", done, "table_estimated", sc.estimates[table],
		"rows", sc.prog.done, "estimated", sc.prog.total, "rows_per_s", int(sc.prog.rate()), "time_left", left)
}

// table copies one table in primary-key order, one transaction per chunk.
func (sc *snapshotter) table(ctx context.Context, def *event.TableDef, lastTable bool) error {
	s := sc.s
	size := s.cfg.SnapshotChunkSize
	cols := make([]string, len(def.Columns))
	for i := range def.Columns {
		// FLOAT/DOUBLE need an exact text form; the server's default rounds.
		cols[i] = value.SelectExpr(&def.Columns[i], quoteIdent(def.Columns[i].Name))
	}
	pkIdx := make([]int, len(def.PrimaryKey))
	for i, k := range def.PrimaryKey {
		for j, c := range def.Columns {
			if c.Name == k {
				pkIdx[i] = j
			}
		}
	}
	order := make([]string, len(def.PrimaryKey))
	for i, k := range def.PrimaryKey {
		order[i] = quoteIdent(k)
	}
	base := "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteTable(def.DB, def.Table)
	tail := " ORDER BY " + strings.Join(order, ", ") + fmt.Sprintf(" LIMIT %d", size)
	var last []any // primary-key values of the last row copied
	var done int64
	start := time.Now()
	for {
		q, args := base+tail, []any(nil)
		if last != nil {
			q, args = base+" WHERE "+afterKey(order)+tail, expandAfterKey(last)
		}
		n, lastRow, err := sc.chunkRows(ctx, def, q, args, pkIdx, lastTable)
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", def.Name(), err)
		}
		done += int64(n)
		s.env.Metrics.SnapshotRows.WithLabelValues(s.labels[0], s.labels[1], def.Name()).Add(float64(n))
		sc.progress(def.Name(), int64(n), done)
		if n < size {
			break
		}
		last = lastRow
	}
	sc.total += done
	el := time.Since(start).Seconds()
	s.log.Info("snapshot table done", "table", def.Name(), "rows", done, "seconds", el, "rows_per_s", int(float64(done)/max(el, 1e-3)))
	return nil
}

// chunkRows reads one chunk and queues it as one transaction. It returns
// the row count and the primary-key values of the last row.
func (sc *snapshotter) chunkRows(ctx context.Context, def *event.TableDef, q string, args []any, pkIdx []int, lastTable bool) (int, []any, error) {
	s := sc.s
	rows, err := sc.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(def.Columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	n := 0
	var lastKey []any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, nil, err
		}
		if n == 0 {
			s.pub.Begin(fmt.Sprintf("snapshot:%d:%d", sc.attempt, sc.chunk), sc.seqAt(sc.chunk), true)
			sc.chunk++
		}
		after := make(event.Row, len(def.Columns))
		for i, c := range def.Columns {
			v, err := value.FromText(&def.Columns[i], raw[i])
			if err != nil {
				return 0, nil, err
			}
			after[c.Name] = v
		}
		key := make(event.Row, len(pkIdx))
		lastKey = lastKey[:0]
		for _, i := range pkIdx {
			key[def.Columns[i].Name] = after[def.Columns[i].Name]
			lastKey = append(lastKey, keyArg(&def.Columns[i], raw[i]))
		}
		ch := &event.Change{After: after, Op: event.OpRead, TsMs: time.Now().UnixMilli(), Source: sc.source(def, lastTable)}
		if err := s.pub.Add(ctx, ch, key); err != nil {
			return 0, nil, err
		}
		n++
		if s.pub.Due(flushRows, flushBytes, time.Hour) {
			if err := s.pub.Flush(ctx); err != nil {
				return 0, nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	if n > 0 {
		if err := s.pub.Commit(sc.pos, sc.tsMs); err != nil {
			return 0, nil, err
		}
	}
	return n, lastKey, nil
}

func (sc *snapshotter) source(def *event.TableDef, lastTable bool) event.Source {
	snap := "true"
	if lastTable {
		snap = "last_table"
	}
	return event.Source{
		Version: Version, Connector: "mysql", Name: sc.s.env.Config.Name, TsMs: sc.tsMs, Snapshot: snap,
		DB: def.DB, Table: def.Table, ServerID: sc.s.info.ServerID, File: sc.pos.File, Pos: uint32(sc.pos.Pos),
	}
}

// keyArg returns a query argument that compares like the column does:
// text for character columns (so the collation applies), bytes otherwise.
func keyArg(c *event.Column, raw []byte) any {
	switch c.DataType {
	case "binary", "varbinary", "blob", "tinyblob", "mediumblob", "longblob":
		return append([]byte(nil), raw...)
	}
	return string(raw)
}

// afterKey returns the condition "(k1, k2, ...) > (?, ?, ...)" expanded so
// that index range scans apply: k1 > ? OR (k1 = ? AND k2 > ?) OR ...
func afterKey(cols []string) string {
	var ors []string
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, cols[j]+" = ?")
		}
		ands = append(ands, cols[i]+" > ?")
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// expandAfterKey lays out the arguments in afterKey's order.
func expandAfterKey(key []any) []any {
	var args []any
	for i := range key {
		args = append(args, key[:i+1]...)
	}
	return args
}
