package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// fence tells whether a sink has applied everything the source committed
// up to a binlog position. It reads the Seq the sink records in its
// checkpoint table in the same replica transaction as the rows: a streamed
// transaction's Seq is the position of its first event, so a recorded Seq
// at or after position P means every transaction before P is applied.
// When nothing after P has been captured yet (an idle source), the sink's
// Seq stays below P; the fence then reads the source's binlog between the
// sink's last transaction and P and accepts P if none of it changes a
// captured table.
type fence struct {
	src, rep *sql.DB
	ck       *sink.Offsets // the sink's checkpoint
	filter   catalog.Filter
	maxWait  time.Duration
	passed   event.Seq // highest position known to be applied, as a Seq

	// seqBase returns the source's seq base (failover.go: added to the
	// binlog file number in every Seq since the source last followed a
	// new server); nil means 0. base caches it; it is read again only
	// when the sink shows a Seq beyond it (a failover while verify runs).
	seqBase func(context.Context) (uint64, error)
	base    uint64
	hasBase bool
}

// checkpointOf is the checkpoint store of sink c of cfg.
func checkpointOf(cfg *config.Config, c *sink.Config) *sink.Offsets {
	return sink.NewOffsets(cfg.Name, c.Name, c.Source, c.CheckpointDB)
}

// readBase (re)reads the source's seq base.
func (f *fence) readBase(ctx context.Context) error {
	if f.seqBase == nil {
		f.hasBase = true
		return nil
	}
	b, err := f.seqBase(ctx)
	if err != nil {
		return fmt.Errorf("read the source's checkpoint (its seq base): %w", err)
	}
	f.base, f.hasBase = b, true
	return nil
}

// sourcePos returns the source's current end of binlog.
func (f *fence) sourcePos(ctx context.Context) (event.Position, error) {
	var pos event.Position
	vals, err := firstRow(ctx, f.src, "SHOW MASTER STATUS")
	if err != nil {
		// MySQL 8.4 removed SHOW MASTER STATUS.
		vals, err = firstRow(ctx, f.src, "SHOW BINARY LOG STATUS")
	}
	if err != nil {
		return pos, fmt.Errorf("source binlog position: %w", err)
	}
	if len(vals) < 2 || vals[0] == "" {
		return pos, errors.New("source binlog position: the server reports none (is log_bin on?)")
	}
	pos.File = vals[0]
	pos.Pos, err = strconv.ParseUint(vals[1], 10, 64)
	return pos, err
}

// firstRow returns the first row of q as text (NULL as "").
func firstRow(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals, err := sqlscan.Row(rows)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.String
	}
	return out, rows.Err()
}

// sinkSeq reads the Seq the sink last committed and whether its checkpoint
// has been still for at least two seconds.
func (f *fence) sinkSeq(ctx context.Context) (event.Seq, bool, error) {
	seq, still, err := f.ck.AppliedSeq(ctx, f.rep)
	if errors.Is(err, sink.ErrNoCheckpoint) {
		return "", false, fmt.Errorf("%w: it has applied nothing yet; run it (sluice run --connector ...) and verify once it has caught up", err)
	}
	return seq, still, err
}

// caughtUp returns once the sink has applied every source transaction
// committed when it is called (sourcePos, then wait).
func (f *fence) caughtUp(ctx context.Context) error {
	pos, err := f.sourcePos(ctx)
	if err != nil {
		return err
	}
	return f.wait(ctx, pos)
}

// wait returns once the sink has applied every source transaction before
// p, or connector.ErrSinkNotAdvancing once its Seq has not moved for maxWait.
func (f *fence) wait(ctx context.Context, p event.Position) error {
	n, err := event.BinlogFileNumber(p.File)
	if err != nil {
		return err
	}
	if !f.hasBase {
		if err := f.readBase(ctx); err != nil {
			return err
		}
	}
	target := event.MakeSeq(f.base+n, p.Pos, 0)
	if !f.passed.Less(target) {
		return nil
	}
	reread := f.seqBase != nil
	var last event.Seq
	moved := time.Now()
	delay := 20 * time.Millisecond
	for {
		seq, still, err := f.sinkSeq(ctx)
		if err != nil {
			return err
		}
		if sf, _, _, ok := parseSeq(seq); ok && sf > f.base+n {
			// Seqs above the source's binlog file numbers: the source
			// follows a server that replaced the one this fence knew
			// (failover.go raises Seqs by a base): read the base again.
			if reread {
				reread = false
				if err := f.readBase(ctx); err != nil {
					return err
				}
				target = event.MakeSeq(f.base+n, p.Pos, 0)
				continue
			}
			return fmt.Errorf("the sink applied up to seq %s, beyond the source's binlog (%s, seq base %d): the source reads another server "+
				"than the one its dsn names now (a failover under way?); verify again once the source runs on the server of its dsn", seq, p, f.base)
		}
		if !seq.Less(target) {
			f.passed = target
			return nil
		}
		if seq != last {
			last, moved = seq, time.Now()
		}
		if ok, err := f.idleUpTo(ctx, seq, still, p); err != nil {
			return err
		} else if ok {
			f.passed = target
			return nil
		}
		if time.Since(moved) > f.maxWait {
			return fmt.Errorf("%w: it applied up to seq %s and has not moved for %s, the source is at %s; "+
				"is `sluice run` running for this sink?", connector.ErrSinkNotAdvancing, seq, f.maxWait.Round(time.Second), p)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// maxScanEvents bounds the binlog events idleUpTo reads.
const maxScanEvents = 5000

// idleUpTo reports whether the source's binlog from the end of the
// transaction with Seq seq up to p holds no change of a captured table. A
// snapshot Seq (chunk > 0) sits just below the snapshot's position and
// is accepted only once the sink's checkpoint has been still (the
// snapshot's end is not visible on the replica).
func (f *fence) idleUpTo(ctx context.Context, seq event.Seq, still bool, p event.Position) (bool, error) {
	fileNum, pos, chunk, ok := parseSeq(seq)
	if !ok || fileNum <= f.base {
		return false, nil // (a Seq of the server before a failover: not in this binlog)
	}
	fileNum -= f.base
	skipTx := chunk == 0
	if !skipTx {
		if !still {
			return false, nil
		}
		pos++
	}
	files, err := dbconn.BinaryLogs(ctx, f.src) // status.go
	if err != nil {
		return false, fmt.Errorf("source: %w", err)
	}
	scanned := 0
	for _, bf := range files {
		file := bf.Name
		n, err := event.BinlogFileNumber(file)
		if err != nil || n < fileNum {
			continue
		}
		from := uint64(4)
		if n == fileNum {
			from = pos
		}
		if file == p.File && from >= p.Pos {
			return true, nil // nothing between (a snapshot ending at the binlog's end)
		}
		rows, err := f.src.QueryContext(ctx, fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d LIMIT %d",
			strings.ReplaceAll(file, "'", "''"), from, maxScanEvents-scanned))
		if err != nil {
			return false, nil // e.g. a purged file: let the sink move instead
		}
		done, found, err := f.scanEvents(rows, file, p, &skipTx, &scanned)
		if err != nil || found {
			return false, err
		}
		if done {
			return true, nil
		}
		if file == p.File || scanned >= maxScanEvents {
			return false, nil
		}
	}
	return false, nil
}

// scanEvents reads SHOW BINLOG EVENTS rows. done: p was reached; found: a
// captured table's row event came first.
func (f *fence) scanEvents(rows *sql.Rows, file string, p event.Position, skipTx *bool, scanned *int) (done, found bool, err error) {
	defer rows.Close()
	for rows.Next() {
		var logName, typ, info string
		var at, serverID, end uint64
		if err := rows.Scan(&logName, &at, &typ, &serverID, &end, &info); err != nil {
			return false, false, err
		}
		*scanned++
		if file == p.File && at >= p.Pos {
			return true, false, nil
		}
		switch {
		case *skipTx:
			// The sink's own last transaction ends at its commit.
			if typ == "Xid" || typ == "Query" && !strings.EqualFold(info, "BEGIN") {
				*skipTx = false
			}
		case typ == "Table_map":
			if db, table, ok := tableMapName(info); ok && f.filter.Match(db, table) {
				return false, true, nil
			}
		}
		if file == p.File && end >= p.Pos {
			return true, false, nil // the last event before p (often the binlog's end)
		}
	}
	return false, false, rows.Err()
}

// tableMapName extracts db and table from a Table_map event's Info,
// "table_id: 18 (shop.orders)".
func tableMapName(info string) (string, string, bool) {
	i, j := strings.IndexByte(info, '('), strings.LastIndexByte(info, ')')
	if i < 0 || j < i {
		return "", "", false
	}
	return strings.Cut(info[i+1:j], ".")
}

// parseSeq splits a Seq into file number, position and chunk.
func parseSeq(s event.Seq) (file, pos, chunk uint64, ok bool) {
	if !s.Valid() {
		return 0, 0, 0, false
	}
	parts := strings.Split(string(s), ".")
	file, _ = strconv.ParseUint(parts[0], 10, 64)
	pos, _ = strconv.ParseUint(parts[1], 10, 64)
	chunk, _ = strconv.ParseUint(parts[2], 10, 64)
	return file, pos, chunk, true
}
