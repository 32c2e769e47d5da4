package sink

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// applier writes batches into the replica. Contract: a batch of rows is
// one replica transaction holding its rows, its offsets and Seq
// (Offsets.Save, which checks the leader epoch in that transaction) and its
// dead letters; with workers its rows are XA branches instead, decided by
// such a transaction (workers.go). Either the whole batch commits or
// nothing of it does, and apply returns an error. A DDL batch goes to the
// DDL runner. After a commit, the offsets, metrics and status move on
// (committed). apply runs on Run's goroutine, one batch at a time, and
// only after the batch before it committed.
type applier struct {
	s       *Sink
	merge   mergeCache // the replica's unique keys and packet size (uniquekeys.go)
	workers workers    // connections of the workers (workers.go)
}

// batch applies b. When the replica refuses one of its rows, the
// batch is applied again row by row behind savepoints to find which: that
// row is dead-lettered (tolerance: all), or named with its topic,
// partition, offset and key in the Fatal error that stops the sink.
// Batches that were read while applied (large transactions) or hold DDL
// cannot be replayed from memory; their error is returned as it is.
func (a *applier) batch(ctx context.Context, b *batch) error {
	a.s.quar.filter(b) // quarantine.go: changes of held tables are passed over
	err := a.apply(ctx, b)
	if err == nil || ctx.Err() != nil || b.ddl || !isRowRejection(err) && !a.s.quar.takes(err) {
		return err
	}
	for _, t := range b.txs {
		if t.streamed {
			return err
		}
	}
	a.s.log.Info("the replica refused a row; applying the batch row by row to find it", "err", err)
	b.careful = true
	return a.apply(ctx, b)
}

// apply commits a batch, and the offsets after it, in one replica
// transaction. Tables are created first: DDL cannot share the transaction,
// and creating a table twice is harmless.
func (a *applier) apply(ctx context.Context, b *batch) error {
	s := a.s
	if time.Since(s.schema.read) > time.Second {
		if err := s.schema.refresh(ctx); err != nil {
			return err
		}
	}
	if b.ddl {
		a.merge.uniq = nil // the replica's unique keys may have changed
		return s.ddl.apply(ctx, b)
	}
	if err := s.ddl.ensureTables(ctx, b); err != nil {
		return err
	}
	if a.workers.use(b) {
		fallback, err := a.workers.apply(ctx, b)
		if !fallback || ctx.Err() != nil {
			if err == nil {
				s.env.Metrics.SinkWorkerBatches.WithLabelValues(s.labels[0], s.labels[1], "applied").Inc()
			}
			return err
		}
		s.env.Metrics.SinkWorkerBatches.WithLabelValues(s.labels[0], s.labels[1], "fallback").Inc()
		s.log.Info("applying the batch on one connection after the workers failed", "err", err)
	}
	start := time.Now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sink %s: begin: %w", s.cfg.Name, err)
	}
	defer tx.Rollback()
	counts := map[[2]string]int{}
	w := a.newWriter(tx, counts)
	if !b.careful {
		w = a.newPipedWriter(tx, counts) // pipe.go
	}
	defer w.close() // before the deferred Rollback
	m := newMerger(w)
	for i, t := range b.txs {
		if !b.careful && !t.streamed && t.marker.Range == nil && len(t.marker.Truncate) == 0 {
			if err := m.add(ctx, t.changes); err != nil {
				return fmt.Errorf("sink %s: transaction %s (seq %s): %w", s.cfg.Name, t.marker.ID, t.marker.Seq, err)
			}
			continue
		}
		if err := m.flush(ctx); err != nil {
			return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.txs[max(i-1, 0)].marker.Seq, err)
		}
		if err := w.sync(); err != nil { // what follows uses tx itself
			return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.txs[max(i-1, 0)].marker.Seq, err)
		}
		for _, name := range t.marker.Truncate {
			if s.quar.held(name) {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.routes.target(name)); err != nil {
				return fmt.Errorf("sink %s: empty %s before restarted snapshot: %w", s.cfg.Name, name, err)
			}
		}
		if r := t.marker.Range; r != nil && !s.quar.held(r.Table) {
			if err := a.deleteRange(ctx, tx, s.schema.at(r.Table, t.marker.Seq), s.routes.target(r.Table), r, t.changes); err != nil {
				return err
			}
		}
		if err := a.tx(ctx, tx, t, b, w); err != nil {
			return fmt.Errorf("sink %s: transaction %s (seq %s): %w", s.cfg.Name, t.marker.ID, t.marker.Seq, err)
		}
	}
	if err := m.flush(ctx); err != nil {
		return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.applied, err)
	}
	if err := w.sync(); err != nil {
		return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.applied, err)
	}
	committing := time.Now()
	if err := a.record(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sink %s: commit: %w", s.cfg.Name, err)
	}
	a.committed(b, counts, start, committing)
	return nil
}

// tx applies one source transaction of a batch inside the replica
// transaction tx: from memory, or read from Kafka as it goes when it was
// batched as streamed (stream.go), in chunks merged like a batch.
func (a *applier) tx(ctx context.Context, tx *sql.Tx, t txRows, b *batch, w *writer) error {
	if !t.streamed {
		if b.careful {
			return a.careful(ctx, tx, b, t.changes, w.counts)
		}
		return a.ordered(ctx, tx, t.changes, w.counts)
	}
	merged := newMerger(w)
	rows := a.s.batcher.stream(t.marker, b)
	chunk := make([]*event.Change, 0, streamChunkRows)
	for {
		ch, err := rows.next(ctx)
		if err != nil {
			return err
		}
		if ch != nil && a.s.quar.holds(ch.Table()) {
			continue
		}
		if ch != nil {
			chunk = append(chunk, ch)
		}
		if len(chunk) == cap(chunk) || (ch == nil && len(chunk) > 0) {
			if err := merged.add(ctx, chunk); err != nil {
				return err
			}
			if err := merged.flush(ctx); err != nil {
				return err
			}
			clear(chunk) // let the applied changes go
			chunk = chunk[:0]
		}
		if ch == nil {
			return nil
		}
	}
}

// ordered applies changes in their order (writer.ordered), on a writer of
// its own.
func (a *applier) ordered(ctx context.Context, tx *sql.Tx, changes []*event.Change, counts map[[2]string]int) error {
	for _, ch := range changes {
		counts[[2]string{ch.Table(), string(ch.Op)}]++
	}
	return a.newWriter(tx, counts).ordered(ctx, changes)
}

// record writes, in the replica transaction tx, that b is applied: its
// offsets and Seq, after the leader epoch check (Offsets.Save), and its
// dead letters.
func (a *applier) record(ctx context.Context, tx *sql.Tx, b *batch) error {
	if err := a.s.offsets.save(ctx, tx, b); err != nil {
		return err
	}
	if err := a.s.quar.save(ctx, tx); err != nil {
		return err
	}
	return a.s.dead.save(ctx, tx, b)
}

// committed records a batch committed on the replica: offsets, applied
// Seq, metrics and status. start and committing are when its statements
// and its commit began.
func (a *applier) committed(b *batch, counts map[[2]string]int, start, committing time.Time) {
	s := a.s
	secs := s.env.Metrics.SinkSeconds
	secs.WithLabelValues(s.labels[0], s.labels[1], "apply").Add(committing.Sub(start).Seconds())
	secs.WithLabelValues(s.labels[0], s.labels[1], "commit").Add(time.Since(committing).Seconds())
	s.offsets.advance(b)
	a.observe(b, counts)
	s.stat.afterCommit(s.offsets.next, b)
	s.dead.committed(b)
	s.quar.committed()
}

// observe counts a committed batch in the metrics.
func (a *applier) observe(b *batch, counts map[[2]string]int) {
	m, l0, l1 := a.s.env.Metrics, a.s.labels[0], a.s.labels[1]
	for k, n := range counts {
		m.SinkRowsApplied.WithLabelValues(l0, l1, k[0], k[1]).Add(float64(n))
	}
	m.SinkCommits.WithLabelValues(l0, l1).Inc()
	m.SinkTransactions.WithLabelValues(l0, l1).Add(float64(len(b.txs)))
	m.SinkBatchRows.WithLabelValues(l0, l1).Observe(float64(b.rows))
	for _, t := range b.txs {
		if t.marker.Snapshot || t.marker.TsMs == 0 {
			continue
		}
		lag := clock.Since(time.UnixMilli(t.marker.TsMs)).Seconds() // never negative; a host clock step does not move it
		m.ReplicationLagHist.WithLabelValues(l0, l1).Observe(lag)
		m.ReplicationLag.WithLabelValues(l0, l1).Set(lag)
	}
}
