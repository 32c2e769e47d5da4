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
// (recoverXA): a prepared branch of this sink whose Seq the recorded
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

// parallel reports whether b is applied by the workers.
func (s *Sink) parallel(b *batch) bool {
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
func (s *Sink) xaTag() string {
	h := fnv.New32a()
	h.Write([]byte(s.key))
	return fmt.Sprintf("%s%08x-", xaPrefix, h.Sum32())
}

// xid is the XA id of worker i's branch of the batch ending at seq.
func (s *Sink) xid(seq event.Seq, i int) string {
	return fmt.Sprintf("'%s%s','%d'", s.xaTag(), seq, i)
}

// shard splits b's rows among n workers, each share in source order.
func (s *Sink) shard(ctx context.Context, b *batch, n int) ([][]*event.Change, error) {
	defs := map[string]*event.TableDef{}
	whole := map[string]bool{}
	var keys []string // each row's key (its before image's for a delete), in batch order
	for _, t := range b.txs {
		for _, ch := range t.changes {
			name := ch.Table()
			def, seen := defs[name]
			if !seen {
				if def = s.defAt(name, ch.Transaction.Seq); def == nil {
					return nil, fmt.Errorf("no definition of %s at seq %s in the schema history", name, ch.Transaction.Seq)
				}
				defs[name] = def
				w := len(def.PrimaryKey) == 0
				if !w {
					u, err := s.uniqueKeys(ctx, def)
					if err != nil {
						return nil, err
					}
					w = !u.compact || len(u.keys) > 0
				}
				whole[name] = w
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

// openWorkers opens the workers' connections that are not open.
func (s *Sink) openWorkers(ctx context.Context) error {
	for len(s.workers) < s.cfg.Workers {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("sink %s: open worker connection: %w", s.cfg.Name, err)
		}
		s.workers = append(s.workers, c)
	}
	return nil
}

// closeWorkers closes the workers' connections; a prepared branch stays
// on the server until committed or rolled back.
func (s *Sink) closeWorkers() {
	for _, c := range s.workers {
		c.Close()
	}
	s.workers = nil
}

// errDecisionUnknown: the commit of a batch's decision failed in a way
// that leaves unknown whether it was committed.
var errDecisionUnknown = errors.New("the outcome of the commit is unknown; the next start settles the prepared XA transactions")

// applyParallel applies b with the workers. fallback reports that nothing
// of b was committed and it may be applied on one connection; otherwise
// err is the batch's outcome.
func (s *Sink) applyParallel(ctx context.Context, b *batch) (fallback bool, err error) {
	if err := s.openWorkers(ctx); err != nil {
		return true, err
	}
	shards, err := s.shard(ctx, b, len(s.workers))
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
		g.Go(func() error { return s.applyBranch(ctx, s.workers[i], s.xid(b.applied, i), rows, counts[i]) })
	}
	if err := g.Wait(); err != nil {
		s.rollbackBranches(b, started)
		return true, fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.applied, err)
	}
	faults.SinkExitAt("prepared") // testhook.go
	committing := time.Now()
	if err := s.decide(ctx, b); err != nil {
		if !errors.Is(err, errDecisionUnknown) {
			s.rollbackBranches(b, started)
		}
		return false, err
	}
	faults.SinkExitAt("decided")
	for _, i := range started {
		if _, err := s.workers[i].ExecContext(ctx, "XA COMMIT "+s.xid(b.applied, i)); err != nil {
			s.closeWorkers()
			return false, fmt.Errorf("sink %s: XA COMMIT %s (the next start commits it): %w", s.cfg.Name, s.xid(b.applied, i), err)
		}
	}
	all := map[[2]string]int{}
	for _, c := range counts {
		for k, n := range c {
			all[k] += n
		}
	}
	s.committed(b, all, start, committing)
	return false, nil
}

// applyBranch applies rows in the XA branch xid on conn and prepares it.
func (s *Sink) applyBranch(ctx context.Context, conn *sql.Conn, xid string, rows []*event.Change, counts map[[2]string]int) error {
	if _, err := conn.ExecContext(ctx, "XA START "+xid); err != nil {
		return fmt.Errorf("XA START: %w", err)
	}
	a := s.newPipedApplier(conn, counts)
	defer a.close()
	m := newMerger(a)
	if err := m.add(ctx, rows); err != nil {
		return err
	}
	if err := m.flush(ctx); err != nil {
		return err
	}
	if err := a.sync(); err != nil {
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
func (s *Sink) decide(ctx context.Context, b *batch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sink %s: begin: %w", s.cfg.Name, err)
	}
	defer tx.Rollback()
	if err := s.saveOffsets(ctx, tx, b); err != nil {
		return err
	}
	if err := s.saveDeadLetters(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sink %s: commit offsets of the workers' batch: %w: %w", s.cfg.Name, errDecisionUnknown, err)
	}
	return nil
}

// rollbackBranches ends and rolls back the branches of b's workers, then
// closes the workers' connections (a branch that could not be rolled back
// stays prepared until the next start settles it).
func (s *Sink) rollbackBranches(b *batch, started []int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, i := range started {
		xid := s.xid(b.applied, i)
		s.workers[i].ExecContext(ctx, "XA END "+xid) // fails when already ended or prepared
		if _, err := s.workers[i].ExecContext(ctx, "XA ROLLBACK "+xid); err != nil {
			s.log.Debug("XA ROLLBACK", "xid", xid, "err", err)
		}
	}
	s.closeWorkers()
}

// recoverXA settles this sink's XA branches left prepared by a crash: a
// branch whose batch the recorded Seq covers is committed, any other is
// rolled back. It runs after the checkpoint is read, before anything is
// applied.
func (s *Sink) recoverXA(ctx context.Context) error {
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
	tag := s.xaTag()
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
		if !s.applied.Less(seq) {
			verb = "COMMIT"
		}
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("XA %s '%s','%s'", verb, br.gtrid, br.bqual)); err != nil {
			return fmt.Errorf("sink %s: XA %s of a batch left prepared (seq %s): %w", s.cfg.Name, verb, seq, err)
		}
		s.log.Info("settled a worker's batch left prepared", "xa", verb, "seq", string(seq), "worker", br.bqual, "applied_seq", string(s.applied))
	}
	return nil
}
