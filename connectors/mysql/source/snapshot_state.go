package source

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// seqReserve is how many chunk Seqs one checkpoint save reserves.
const seqReserve = 1024

// snapState is the source's snapshot bookkeeping. Only Run's goroutine
// uses it.
type snapState struct {
	covered  map[string]bool // tables whose every row reached Kafka
	acks     []snapAck       // chunk progress not yet acknowledged, in Seq order
	lastSeq  event.Seq       // the Seq of the last chunk queued (or the reservation at start)
	inc      *incSnap        // incremental snapshots; nil on MySQL
	signals  bool            // read the signal topic while streaming
	lastPoll time.Time       // last read of the signal topic
}

// snapAck is the progress one chunk makes once Kafka acknowledged every
// transaction up to seq.
type snapAck struct {
	seq     event.Seq
	table   string
	lastKey [][]byte
	rows    int64
	done    bool
}

// noteChunk records a chunk's progress, to be saved once it is acknowledged.
func (s *Source) noteChunk(a snapAck) { s.snap.acks = append(s.snap.acks, a) }

// ackedProgress moves the progress of acknowledged chunks into s.state and
// reports whether there was any. A table whose last chunk is acknowledged
// leaves state.Tables and is covered.
func (s *Source) ackedProgress() bool {
	n := 0
	for ; n < len(s.snap.acks) && !s.pub.AckedSeq.Less(s.snap.acks[n].seq); n++ {
		a := s.snap.acks[n]
		i := slices.IndexFunc(s.state.Tables, func(t checkpoint.TableSnapshot) bool { return t.Table == a.table })
		if i < 0 {
			continue
		}
		if a.done {
			s.state.Tables = slices.Delete(s.state.Tables, i, i+1)
			s.snap.covered[a.table] = true
			s.quarantineDone(a.table)
			continue
		}
		s.state.Tables[i].LastKey, s.state.Tables[i].Rows = a.lastKey, a.rows
	}
	s.snap.acks = s.snap.acks[n:]
	return n > 0
}

// prepareState fills in what saveState records besides the position.
func (s *Source) prepareState() {
	s.ackedProgress()
	s.state.Version = checkpoint.StateVersion
	s.state.Covered = s.state.Covered[:0]
	for t := range s.snap.covered {
		s.state.Covered = append(s.state.Covered, t)
	}
	slices.Sort(s.state.Covered)
	s.state.Quarantined = s.quarantineList()
}

// snapSeq returns the Seq of the next snapshot chunk read at pos: just
// below the position (pos-1), numbered after every chunk Seq this source
// may have used there before, also by a run that died before saving its
// progress. Numbers are reserved in blocks with a checkpoint save before
// use, so a restarted source never reuses a Seq a sink may have applied
// (it would skip the new chunk as a duplicate).
func (s *Source) snapSeq(ctx context.Context, pos event.Position) (event.Seq, error) {
	f, err := event.BinlogFileNumber(pos.File)
	if err != nil {
		return "", err
	}
	f += s.seqBase // failover.go
	if pos.Pos == 0 {
		return "", fmt.Errorf("snapshot at %s: position 0", pos)
	}
	p, c := pos.Pos-1, uint64(1)
	if lf, lp, lc, ok := splitSeq(s.snap.lastSeq); ok {
		switch {
		case lf == f && lp == p:
			c = lc + 1
		case lf > f || (lf == f && lp > p):
			return "", fmt.Errorf("snapshot at %s: a chunk was already published at a later position (seq %s): the server's binlog went back; re-snapshot", pos, s.snap.lastSeq)
		}
	}
	seq := event.MakeSeq(f, p, c)
	if s.state.SnapshotSeq.Less(seq) {
		s.state.SnapshotSeq = event.MakeSeq(f, p, c+seqReserve)
		if err := s.saveState(ctx); err != nil {
			return "", err
		}
	}
	s.snap.lastSeq = seq
	return seq, nil
}

// splitSeq splits a Seq into its file number, position and chunk.
func splitSeq(q event.Seq) (f, p, c uint64, ok bool) {
	parts := strings.Split(string(q), ".")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var err [3]error
	f, err[0] = strconv.ParseUint(parts[0], 10, 64)
	p, err[1] = strconv.ParseUint(parts[1], 10, 64)
	c, err[2] = strconv.ParseUint(parts[2], 10, 64)
	return f, p, c, err[0] == nil && err[1] == nil && err[2] == nil
}

// posBefore reports whether a is before b in binlog order.
func posBefore(a, b event.Position) bool {
	fa, _ := event.BinlogFileNumber(a.File)
	fb, _ := event.BinlogFileNumber(b.File)
	if fa != fb {
		return fa < fb
	}
	return a.Pos < b.Pos
}

// snapshotter copies tables for one initial snapshot.
type snapshotter struct {
	s         *Source
	pos       event.Position
	attempt   uint64
	tableRows map[string]int64 // rows copied so far per table
	estimates map[string]int64 // "db.table" -> estimated rows
	prog      snapProgress     // over all tables
	lastLog   time.Time
	lastSave  time.Time
}

// estimate reads the estimated row count of every table to copy.
func (sc *snapshotter) estimate(ctx context.Context, names []string) {
	s := sc.s
	sc.estimates, sc.tableRows = map[string]int64{}, map[string]int64{}
	for _, n := range names {
		est := s.estimateRows(ctx, s.tables[n])
		sc.estimates[n] = est
		sc.prog.total += est
	}
	sc.prog.start, sc.lastLog, sc.lastSave = time.Now(), time.Now(), time.Now()
	s.stat.snapshotProgress(&sc.prog)
}

// estimateRows returns the server's estimate of a table's rows (0 when
// unknown) and sets the snapshot estimate metric.
func (s *Source) estimateRows(ctx context.Context, def *event.TableDef) int64 {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	var est int64
	_ = s.db.QueryRowContext(ctx, "SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		def.DB, def.Table).Scan(&est)
	s.env.Metrics.SnapshotRowsTotal.WithLabelValues(s.labels[0], s.labels[1], def.Name()).Set(float64(est))
	return est
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
