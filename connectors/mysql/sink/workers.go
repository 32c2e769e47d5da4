package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/faults"
	"github.com/sluice-cdc/sluice/pkg/event"
	"golang.org/x/sync/errgroup"
)

// Parallel apply (workers > 1). One replica connection applies statements
// one at a time while the server has cores to spare; with workers: N a
// batch's rows are split among N connections by key and applied at once.
//
// Routing (shard): every row of a key goes to the same worker, so each
// key's changes keep their order. A table whose replica has a unique key
// besides the primary key (its rows' order across keys may matter), no
// key, triggers, or keys the sink cannot compare exactly, and a table
// whose primary key changes in the batch, goes whole to one worker
// (chosen by its name).
//
// Atomicity: each worker runs its share as an XA transaction branch and
// prepares it; once all are prepared, the offsets and the batch's Seq are
// committed in an ordinary transaction (the decision), then every branch
// is committed. A crash in between is settled when the sink starts
// (workers.recover): a prepared branch of this sink whose Seq the recorded
// offsets cover is committed, any other is rolled back. So a batch is
// applied whole or not at all, and the offsets always match the rows;
// readers of the replica may, for the moment between the branches'
// commits, see part of a batch. A batch the workers cannot apply (a
// rejected row, a deadlock between them) is rolled back and applied on
// one connection as with workers: 1, which also finds a rejected row.
// Batches with DDL, a snapshot restart or re-sync (truncate, range) or
// read while applied (large transactions) always use one connection.

// xaPrefix starts the XA transaction names of every sink.
const xaPrefix = "sluice-"

// workers apply a batch's rows on several replica connections, as XA
// branches that one decision transaction commits (see above). Contract:
// apply commits the whole batch with its offsets, or reports fallback with
// nothing of it committed, or fails leaving prepared branches that recover
// settles by the recorded offsets at the next start; recover runs once a
// term, after the offsets are read and before anything is applied. The
// branches run on goroutines of their own; every method is called from
// Run's goroutine.
type workers struct {
	s     *Sink
	conns []*sql.Conn // one per worker, opened on first use in a term
}

// use reports whether b is applied by the workers.
func (w *workers) use(b *batch) bool {
	s := w.s
	if s.cfg.Workers < 2 || b.careful || b.ddl || b.rows < 2 {
		return false
	}
	for _, t := range b.txs {
		if t.streamed || t.marker.Range != nil || len(t.marker.Truncate) > 0 {
			return false
		}
	}
	return true
}

// xaTag is the start of this sink's XA transaction names: the prefix and
// a hash of the sink's checkpoint key (names are at most 64 bytes).
func (w *workers) xaTag() string {
	h := fnv.New32a()
	h.Write([]byte(w.s.key))
	return fmt.Sprintf("%s%08x-", xaPrefix, h.Sum32())
}

// xid is the XA id of worker i's branch of the batch ending at seq.
func (w *workers) xid(seq event.Seq, i int) string {
	return fmt.Sprintf("'%s%s','%d'", w.xaTag(), seq, i)
}

// shard splits b's rows among n workers, each share in source order.
func (w *workers) shard(ctx context.Context, b *batch, n int) ([][]*event.Change, error) {
	s := w.s
	defs := map[string]*event.TableDef{}
	whole := map[string]bool{}
	var keys []string // each row's key (its before image's for a delete), in batch order
	for _, t := range b.txs {
		for _, ch := range t.changes {
			name := ch.Table()
			def, seen := defs[name]
			if !seen {
				if def = s.schema.at(name, ch.Transaction.Seq); def == nil {
					return nil, fmt.Errorf("no definition of %s at seq %s in the schema history", name, ch.Transaction.Seq)
				}
				defs[name] = def
				one := len(def.PrimaryKey) == 0
				if !one {
					u, err := s.applier.uniqueKeys(ctx, def)
					if err != nil {
						return nil, err
					}
					one = !u.compact || len(u.keys) > 0
				}
				whole[name] = one
			}
			if whole[name] {
				keys = append(keys, "")
				continue
			}
			ak, aok := imageKey(def.PrimaryKey, ch.After)
			bk, bok := imageKey(def.PrimaryKey, ch.Before)
			k := ak
			switch ch.Op {
			case event.OpDelete:
				k, whole[name] = bk, !bok || bk == ""
			case event.OpUpdate:
				whole[name] = !aok || ak == "" || (ch.Before != nil && (!bok || bk != ak))
			default:
				whole[name] = !aok || ak == ""
			}
			keys = append(keys, k)
		}
	}
	shards := make([][]*event.Change, n)
	j := 0
	for _, t := range b.txs {
		for _, ch := range t.changes {
			name := ch.Table()
			h := fnv.New32a()
			h.Write([]byte(name))
			if !whole[name] {
				h.Write([]byte{0})
				h.Write([]byte(keys[j]))
			}
			j++
			i := int(h.Sum32() % uint32(n))
			shards[i] = append(shards[i], ch)
		}
	}
	return shards, nil
}

// open opens the workers' connections that are not open.
func (w *workers) open(ctx context.Context) error {
	s := w.s
	for len(w.conns) < s.cfg.Workers {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("sink %s: open worker connection: %w", s.cfg.Name, err)
		}
		w.conns = append(w.conns, c)
	}
	return nil
}

// close closes the workers' connections; a prepared branch stays
// on the server until committed or rolled back.
func (w *workers) close() {
	for _, c := range w.conns {
		c.Close()
	}
	w.conns = nil
}

// errDecisionUnknown: the commit of a batch's decision failed in a way
// that leaves unknown whether it was committed.
var errDecisionUnknown = errors.New("the outcome of the commit is unknown; the next start settles the prepared XA transactions")

// apply applies b with the workers. fallback reports that nothing
// of b was committed and it may be applied on one connection; otherwise
// err is the batch's outcome.
func (w *workers) apply(ctx context.Context, b *batch) (fallback bool, err error) {
	s := w.s
	if err := w.open(ctx); err != nil {
		return true, err
	}
	shards, err := w.shard(ctx, b, len(w.conns))
	if err != nil {
		return true, err
	}
	start := time.Now()
	counts := make([]map[[2]string]int, len(shards))
	var started []int
	var g errgroup.Group
	for i, rows := range shards {
		if len(rows) == 0 {
			continue
		}
		started = append(started, i)
		counts[i] = map[[2]string]int{}
		g.Go(func() error { return w.branch(ctx, w.conns[i], w.xid(b.applied, i), rows, counts[i]) })
	}
	if err := g.Wait(); err != nil {
		w.rollback(b, started)
		return true, fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.applied, err)
	}
	faults.SinkExitAt("prepared") // internal/faults
	committing := time.Now()
	if err := w.decide(ctx, b); err != nil {
		if !errors.Is(err, errDecisionUnknown) {
			w.rollback(b, started)
		}
		return false, err
	}
	faults.SinkExitAt("decided")
	for _, i := range started {
		if _, err := w.conns[i].ExecContext(ctx, "XA COMMIT "+w.xid(b.applied, i)); err != nil {
			w.close()
			return false, fmt.Errorf("sink %s: XA COMMIT %s (the next start commits it): %w", s.cfg.Name, w.xid(b.applied, i), err)
		}
	}
	all := map[[2]string]int{}
	for _, c := range counts {
		for k, n := range c {
			all[k] += n
		}
	}
	s.applier.committed(b, all, start, committing)
	return false, nil
}

// branch applies rows in the XA branch xid on conn and prepares it.
func (w *workers) branch(ctx context.Context, conn *sql.Conn, xid string, rows []*event.Change, counts map[[2]string]int) error {
	if _, err := conn.ExecContext(ctx, "XA START "+xid); err != nil {
		return fmt.Errorf("XA START: %w", err)
	}
	wr := w.s.applier.newPipedWriter(conn, counts)
	defer wr.close()
	m := newMerger(wr)
	if err := m.add(ctx, rows); err != nil {
		return err
	}
	if err := m.flush(ctx); err != nil {
		return err
	}
	if err := wr.sync(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "XA END "+xid); err != nil {
		return fmt.Errorf("XA END: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "XA PREPARE "+xid); err != nil {
		return fmt.Errorf("XA PREPARE: %w", err)
	}
	return nil
}

// decide commits b's offsets and Seq (and dead letters): the batch's
// prepared branches are then to be committed.
func (w *workers) decide(ctx context.Context, b *batch) error {
	s := w.s
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sink %s: begin: %w", s.cfg.Name, err)
	}
	defer tx.Rollback()
	if err := s.applier.record(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sink %s: commit offsets of the workers' batch: %w: %w", s.cfg.Name, errDecisionUnknown, err)
	}
	return nil
}

// rollback ends and rolls back the branches of b's workers, then
// closes the workers' connections (a branch that could not be rolled back
// stays prepared until the next start settles it).
func (w *workers) rollback(b *batch, started []int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, i := range started {
		xid := w.xid(b.applied, i)
		w.conns[i].ExecContext(ctx, "XA END "+xid) // fails when already ended or prepared
		if _, err := w.conns[i].ExecContext(ctx, "XA ROLLBACK "+xid); err != nil {
			w.s.log.Debug("XA ROLLBACK", "xid", xid, "err", err)
		}
	}
	w.close()
}

// recover settles this sink's XA branches left prepared by a crash: a
// branch whose batch the recorded Seq covers is committed, any other is
// rolled back. It runs after the checkpoint is read, before anything is
// applied.
func (w *workers) recover(ctx context.Context) error {
	s := w.s
	rows, err := s.db.QueryContext(ctx, "XA RECOVER")
	if err != nil {
		if s.cfg.Workers < 2 {
			s.log.Debug("XA RECOVER", "err", err) // workers: 1 uses no XA
			return nil
		}
		return fmt.Errorf("sink %s: XA RECOVER (workers: %d settles its XA transactions at start; grant XA_RECOVER_ADMIN on MySQL): %w",
			s.cfg.Name, s.cfg.Workers, err)
	}
	defer rows.Close()
	type branch struct{ gtrid, bqual string }
	var found []branch
	tag := w.xaTag()
	for rows.Next() {
		var format, glen, blen int
		var data []byte
		if err := rows.Scan(&format, &glen, &blen, &data); err != nil {
			return fmt.Errorf("sink %s: XA RECOVER: %w", s.cfg.Name, err)
		}
		if glen+blen > len(data) || !strings.HasPrefix(string(data[:glen]), tag) {
			continue
		}
		found = append(found, branch{string(data[:glen]), string(data[glen : glen+blen])})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, br := range found {
		seq := event.Seq(strings.TrimPrefix(br.gtrid, tag))
		if !seq.Valid() || strings.Trim(br.bqual, "0123456789") != "" {
			continue // not a name this sink makes
		}
		verb := "ROLLBACK"
		if !s.offsets.applied.Less(seq) {
			verb = "COMMIT"
		}
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("XA %s '%s','%s'", verb, br.gtrid, br.bqual)); err != nil {
			return fmt.Errorf("sink %s: XA %s of a batch left prepared (seq %s): %w", s.cfg.Name, verb, seq, err)
		}
		s.log.Info("settled a worker's batch left prepared", "xa", verb, "seq", string(seq), "worker", br.bqual, "applied_seq", string(s.offsets.applied))
	}
	return nil
}
