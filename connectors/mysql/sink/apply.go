package sink

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// loadCheckpoint creates the checkpoint table when missing and reads this
// sink's offsets and last applied Seq.
func (s *Sink) loadCheckpoint(ctx context.Context) error {
	db := s.cfg.CheckpointDB
	s.ckTable = dbconn.QuoteTable(db, "sluice_offsets")
	stmts := []string{
		"CREATE DATABASE IF NOT EXISTS " + dbconn.QuoteIdent(db),
		"CREATE TABLE IF NOT EXISTS " + s.ckTable + ` (
			sink VARCHAR(191) NOT NULL,
			topic VARCHAR(249) NOT NULL,
			kpartition INT NOT NULL,
			next_offset BIGINT NOT NULL,
			seq VARCHAR(64) NOT NULL DEFAULT '',
			updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
			PRIMARY KEY (sink, topic, kpartition)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sink %s: create checkpoint table %s: %w", s.cfg.Name, s.ckTable, err)
		}
	}
	if err := s.claimEpoch(ctx); err != nil { // sink_leader.go: before the offsets are read
		return err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT topic, kpartition, next_offset, seq FROM "+s.ckTable+" WHERE sink = ?", s.key)
	if err != nil {
		return fmt.Errorf("sink %s: read checkpoint: %w", s.cfg.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var tp kafka.TopicPartition
		var off int64
		var seq string
		if err := rows.Scan(&tp.Topic, &tp.Partition, &off, &seq); err != nil {
			return err
		}
		s.offsets[tp] = off
		if tp.Topic == s.topics.Transaction() {
			s.applied = event.Seq(seq)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return s.recoverXA(ctx) // sink_workers.go
}

// apply commits a batch, and the offsets after it, in one replica
// transaction. Tables are created first: DDL cannot share the transaction,
// and creating a table twice is harmless.
func (s *Sink) apply(ctx context.Context, b *batch) error {
	if time.Since(s.lastSchema) > time.Second {
		if err := s.refreshSchemas(ctx); err != nil {
			return err
		}
	}
	if b.ddl {
		s.merge.uniq = nil // the replica's unique keys may have changed
		return s.applyDDL(ctx, b)
	}
	if err := s.ensureTables(ctx, b); err != nil {
		return err
	}
	if s.parallel(b) { // sink_workers.go
		fallback, err := s.applyParallel(ctx, b)
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
	a := s.newApplier(tx, counts)
	if !b.careful {
		a = s.newPipedApplier(tx, counts) // sink_pipe.go
	}
	defer a.close() // before the deferred Rollback
	m := newMerger(a)
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
		if err := a.sync(); err != nil { // what follows uses tx itself
			return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.txs[max(i-1, 0)].marker.Seq, err)
		}
		for _, name := range t.marker.Truncate {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.target(name)); err != nil {
				return fmt.Errorf("sink %s: empty %s before restarted snapshot: %w", s.cfg.Name, name, err)
			}
		}
		if r := t.marker.Range; r != nil {
			if err := s.deleteRange(ctx, tx, s.defAt(r.Table, t.marker.Seq), s.target(r.Table), r, t.changes); err != nil {
				return err
			}
		}
		if err := s.applyTx(ctx, tx, t, b, a); err != nil {
			return fmt.Errorf("sink %s: transaction %s (seq %s): %w", s.cfg.Name, t.marker.ID, t.marker.Seq, err)
		}
	}
	if err := m.flush(ctx); err != nil {
		return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.applied, err)
	}
	if err := a.sync(); err != nil {
		return fmt.Errorf("sink %s: transactions %s to %s: %w", s.cfg.Name, b.txs[0].marker.Seq, b.applied, err)
	}
	committing := time.Now()
	if err := s.saveOffsets(ctx, tx, b); err != nil {
		return err
	}
	if err := s.saveDeadLetters(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sink %s: commit: %w", s.cfg.Name, err)
	}
	s.committed(b, counts, start, committing)
	return nil
}

// committed records a batch committed on the replica: offsets, applied
// Seq, metrics and status. start and committing are when its statements
// and its commit began.
func (s *Sink) committed(b *batch, counts map[[2]string]int, start, committing time.Time) {
	secs := s.env.Metrics.SinkSeconds
	secs.WithLabelValues(s.labels[0], s.labels[1], "apply").Add(committing.Sub(start).Seconds())
	secs.WithLabelValues(s.labels[0], s.labels[1], "commit").Add(time.Since(committing).Seconds())
	for tp, off := range b.offsets {
		s.offsets[tp] = off
	}
	s.offsets[kafka.TopicPartition{Topic: s.topics.Transaction(), Partition: 0}] = b.txNext
	s.applied = b.applied
	s.observe(b, counts)
	s.afterCommit(b)
	s.afterDeadLetters(b)
}

func (s *Sink) observe(b *batch, counts map[[2]string]int) {
	m, l0, l1 := s.env.Metrics, s.labels[0], s.labels[1]
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

func (s *Sink) saveOffsets(ctx context.Context, tx *sql.Tx, b *batch) error {
	if err := s.fence(ctx, tx); err != nil { // sink_leader.go
		return err
	}
	q := "INSERT INTO " + s.ckTable + " (sink, topic, kpartition, next_offset, seq) VALUES (?, ?, ?, ?, ?)" +
		" ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), seq = VALUES(seq)"
	if _, err := tx.ExecContext(ctx, q, s.key, s.topics.Transaction(), 0, b.txNext, string(b.applied)); err != nil {
		return fmt.Errorf("sink %s: save offsets: %w", s.cfg.Name, err)
	}
	for tp, off := range b.offsets {
		if _, err := tx.ExecContext(ctx, q, s.key, tp.Topic, tp.Partition, off, ""); err != nil {
			return fmt.Errorf("sink %s: save offsets: %w", s.cfg.Name, err)
		}
	}
	return nil
}

// applyChanges applies changes in their order (applier.ordered).
func (s *Sink) applyChanges(ctx context.Context, tx *sql.Tx, changes []*event.Change, counts map[[2]string]int) error {
	for _, ch := range changes {
		counts[[2]string{ch.Table(), string(ch.Op)}]++
	}
	return s.newApplier(tx, counts).ordered(ctx, changes)
}

// ensureTables creates the replica tables a batch touches when missing.
func (s *Sink) ensureTables(ctx context.Context, b *batch) error {
	for _, t := range b.txs {
		for _, name := range t.marker.Truncate {
			if err := s.ensureTable(ctx, name, t.marker.Seq); err != nil {
				return err
			}
		}
		if r := t.marker.Range; r != nil {
			if err := s.ensureTable(ctx, r.Table, t.marker.Seq); err != nil {
				return err
			}
		}
		for _, dc := range t.marker.DataCollections {
			if err := s.ensureTable(ctx, dc.DataCollection, t.marker.Seq); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Sink) ensureTable(ctx context.Context, name string, seq event.Seq) error {
	if s.created[name] {
		return nil
	}
	def, err := s.table(ctx, name, seq)
	if err != nil {
		return err
	}
	if *s.cfg.CreateTables {
		create := def.CreateSQL
		if !catalog.CreateTableRe.MatchString(create) {
			return fmt.Errorf("sink %s: cannot create %s: unexpected definition %.60q", s.cfg.Name, name, create)
		}
		db, table := s.route(def.DB, def.Table)
		create = catalog.CreateTableRe.ReplaceAllLiteralString(create, "CREATE TABLE IF NOT EXISTS "+dbconn.QuoteTable(db, table))
		for _, q := range []string{"CREATE DATABASE IF NOT EXISTS " + dbconn.QuoteIdent(db), create} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sink %s: create %s on the replica: %w", s.cfg.Name, name, err)
			}
		}
	}
	s.created[name] = true
	return nil
}
