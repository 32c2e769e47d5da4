package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/leader"
)

// ErrFenced is returned by a sink commit that a newer leader's epoch
// refused: another process claimed the sink since this one was elected.
var ErrFenced = errors.New("a newer leader claimed the sink")

// Run implements connector.Connector. Several processes may run the same
// sink: source transactions are applied atomically in commit order by one
// writer, so they elect one applier through the consumer group
// `_sluice.<pipeline>.<sink>.leader` (lead, leader.go) and the others wait
// as hot standbys (Ready returns a *connector.Standby naming the leader),
// taking over within about kafka.ElectionSession plus a heartbeat when the
// leader dies, at once when it stops cleanly. Extra processes add
// availability, not throughput.
//
// The elected process claims a new leader epoch on the replica
// (lease.claim) before it reads its offsets, and every replica commit checks
// that epoch under a lock inside the same transaction as the rows (lease.check):
// a deposed applier (paused, partitioned: its lease ran out but it still
// runs) cannot commit after its successor claimed the sink, so nothing is
// applied twice or out of order. When the term ends Run returns an error
// wrapping kafka.ErrLeadershipLost and the runtime restarts the sink as a
// candidate; when ctx is done it returns nil.
func (s *Sink) Run(ctx context.Context) error {
	defer s.SetReady(errors.New("stopped"))
	return leader.Lead(ctx, leader.Election{
		Env: s.env, Group: "_sluice." + s.env.Config.Name + "." + s.cfg.Name + ".leader", Log: s.log,
		Gauge: s.env.Metrics.SinkLeader.WithLabelValues(s.labels[:]...),
		What:  "sink " + s.cfg.Name, Role: "applying", Standby: "another process leads this sink",
		SetReady: s.SetReady,
		Run: func(ctx context.Context, l *kafka.Leadership) error {
			s.lease.lead = l
			return s.runLeader(ctx)
		},
	})
}

// lease is this process's term as the sink's applier, as the replica
// knows it: the epoch it claimed in <checkpoint_db>.sluice_leaders (one row
// per sink). claim runs once a term, before the offsets are read; check
// runs inside every transaction that commits a position (Offsets.Save) and
// just before DDL, and holds the row's lock until that transaction ends.
// A nil lease, or one never claimed, checks nothing.
type lease struct {
	table string // quoted <checkpoint_db>.sluice_leaders
	key   string // the sink's row
	name  string // the sink, for errors
	log   *slog.Logger
	lead  *kafka.Leadership // the Kafka term (Run); nil in tests
	epoch int64             // claimed on the replica, checked by every commit
}

func newLease(checkpointDB, key, name string, log *slog.Logger) *lease {
	return &lease{table: dbconn.QuoteTable(checkpointDB, "sluice_leaders"), key: key, name: name, log: log}
}

// claim creates the leader table when missing and raises this sink's
// epoch by one, taking the row's lock: a commit of the previous leader
// still in flight either committed before (and the offsets read next
// include it) or finds the higher epoch and is refused. It runs before the
// offsets are read.
func (l *lease) claim(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+l.table+` (
			sink VARCHAR(191) NOT NULL PRIMARY KEY,
			epoch BIGINT NOT NULL,
			holder VARCHAR(255) NOT NULL,
			updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`); err != nil {
		return fmt.Errorf("sink %s: create leader table %s: %w", l.name, l.table, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sink %s: claim leader epoch: %w", l.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+l.table+" (sink, epoch, holder) VALUES (?, 1, ?)"+
		" ON DUPLICATE KEY UPDATE epoch = epoch + 1, holder = VALUES(holder)", l.key, leader.Holder()); err != nil {
		return fmt.Errorf("sink %s: claim leader epoch in %s: %w", l.name, l.table, err)
	}
	var epoch int64
	if err := tx.QueryRowContext(ctx, "SELECT epoch FROM "+l.table+" WHERE sink = ?", l.key).Scan(&epoch); err != nil {
		return fmt.Errorf("sink %s: claim leader epoch in %s: %w", l.name, l.table, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sink %s: claim leader epoch: %w", l.name, err)
	}
	l.epoch = epoch
	l.log.Info("leading the sink", "epoch", epoch)
	return nil
}

// check checks, inside the replica transaction q that commits a batch,
// that this process still holds the sink: its term has not ended and no
// other process claimed a higher epoch. It locks the sink's leader row
// until q ends, so a claim cannot slip in between the check and the
// commit. A refusal wraps ErrFenced and kafka.ErrLeadershipLost.
func (l *lease) check(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) error {
	if l == nil || l.epoch == 0 {
		return nil
	}
	if l.lead != nil && l.lead.Err() != nil { // known lost: no need to ask the replica
		return fmt.Errorf("sink %s: not committing: %w", l.name, l.lead.Err())
	}
	var cur int64
	if err := q.QueryRowContext(ctx, "SELECT epoch FROM "+l.table+" WHERE sink = ? FOR UPDATE", l.key).Scan(&cur); err != nil {
		return fmt.Errorf("sink %s: check leader epoch in %s: %w", l.name, l.table, err)
	}
	if cur != l.epoch {
		return fmt.Errorf("sink %s: not committing: %w (epoch %d, this process's %d): %w",
			l.name, ErrFenced, cur, l.epoch, kafka.ErrLeadershipLost)
	}
	return nil
}
