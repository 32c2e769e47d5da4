package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Offsets is a sink's checkpoint on its replica, the one home of
// <checkpoint_db>.sluice_offsets: one row per sink and Kafka partition it
// read, holding the next offset to read there; the transaction topic's row
// also holds the Seq of the last source transaction applied. The sink, and
// verify and its repair, all go through it.
//
// Contract:
//   - Save writes a batch's positions inside the replica transaction that
//     holds its rows (or, with workers, that decides its prepared XA
//     branches), after checking the sink's leader epoch in that same
//     transaction: rows, offsets, Seq and fence commit together or not at
//     all. A batch holds whole source transactions, so a saved position is
//     always a transaction boundary. DDL cannot share the transaction: its
//     position is saved after it ran (ddlRunner).
//   - load (once a term, after the leader epoch is claimed and before
//     anything is read from Kafka), advance (after a commit succeeded) and
//     the in-memory positions are the sink's, used on Run's goroutine only.
//   - AppliedSeq and Lock serve readers outside the sink (verify): the Seq
//     as last committed, and a lock on the row every sink commit updates,
//     which keeps the sink from committing until the locking transaction
//     ends.
type Offsets struct {
	db      string // checkpoint_db
	table   string // quoted <checkpoint_db>.sluice_offsets
	key     string // the sink's rows: "<pipeline>/<sink>"
	txTopic string // the source's transaction topic
	name    string // the sink, for errors
	lease   *lease // checked by Save; nil outside the sink (leader.go)

	next    map[kafka.TopicPartition]int64 // next offsets as committed on the replica
	applied event.Seq                      // Seq of the last transaction committed on the replica
}

// ErrNoCheckpoint is returned by AppliedSeq when the sink has no row yet:
// it has committed nothing.
var ErrNoCheckpoint = errors.New("the sink has no checkpoint")

// NewOffsets returns the checkpoint store of sink sinkName of pipeline,
// which applies source's transactions, in checkpointDB on its replica. It
// does no I/O.
func NewOffsets(pipeline, sinkName, source, checkpointDB string) *Offsets {
	return &Offsets{
		db:      checkpointDB,
		table:   dbconn.QuoteTable(checkpointDB, "sluice_offsets"),
		key:     pipeline + "/" + sinkName,
		txTopic: event.Topics{Pipeline: pipeline, Source: source}.Transaction(),
		name:    sinkName,
		next:    map[kafka.TopicPartition]int64{},
	}
}

// Table returns the quoted checkpoint table.
func (o *Offsets) Table() string { return o.table }

// Key returns the sink's key in the checkpoint table (column sink), which
// also names its rows in the other checkpoint_db tables.
func (o *Offsets) Key() string { return o.key }

// Create creates checkpoint_db and the checkpoint table when missing.
func (o *Offsets) Create(ctx context.Context, db *sql.DB) error {
	stmts := []string{
		"CREATE DATABASE IF NOT EXISTS " + dbconn.QuoteIdent(o.db),
		"CREATE TABLE IF NOT EXISTS " + o.table + ` (
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
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sink %s: create checkpoint table %s: %w", o.name, o.table, err)
		}
	}
	return nil
}

// load creates the checkpoint table when missing, claims the leader epoch
// (before the offsets are read: a commit of the previous leader either
// landed or will be refused), and reads the sink's offsets and last
// applied Seq.
func (o *Offsets) load(ctx context.Context, db *sql.DB) error {
	if err := o.Create(ctx, db); err != nil {
		return err
	}
	if err := o.lease.claim(ctx, db); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT topic, kpartition, next_offset, seq FROM "+o.table+" WHERE sink = ?", o.key)
	if err != nil {
		return fmt.Errorf("sink %s: read checkpoint: %w", o.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var tp kafka.TopicPartition
		var off int64
		var seq string
		if err := rows.Scan(&tp.Topic, &tp.Partition, &off, &seq); err != nil {
			return err
		}
		o.next[tp] = off
		if tp.Topic == o.txTopic {
			o.applied = event.Seq(seq)
		}
	}
	return rows.Err()
}

// check reports loaded rows that cannot be what the sink wrote: every
// commit writes the transaction topic's row with a valid Seq, and offsets
// are never negative.
func (o *Offsets) check() error {
	txTP := o.txTP()
	_, hasTx := o.next[txTP]
	bad := ""
	switch {
	case len(o.next) > 0 && !hasTx:
		bad = fmt.Sprintf("there are offsets of table topics but no row of the transaction topic %s", txTP.Topic)
	case hasTx && o.applied != "" && !o.applied.Valid():
		bad = fmt.Sprintf("the transaction topic's seq %q is not a sluice seq", o.applied)
	}
	for tp, off := range o.next {
		if bad == "" && off < 0 {
			bad = fmt.Sprintf("%s/%d has the negative offset %d", tp.Topic, tp.Partition, off)
		}
	}
	if bad == "" {
		return nil
	}
	return &connector.Fatal{Err: fmt.Errorf("sink %s: the checkpoint in %s (rows WHERE sink = '%s') is inconsistent: %s; "+
		"the sink cannot tell what the replica holds and will not guess. Recover: start the sink over: %s; then %s",
		o.name, o.table, o.key, bad, o.restartSQL(""), recoverResync)}
}

// Save records, inside the replica transaction tx, that the source
// transactions up to applied are applied: txNext is the next offset on the
// transaction topic, offsets the next ones of the table-topic partitions
// read. In the sink it first checks the leader epoch under a lock held
// until tx ends (lease.check), so a deposed leader's tx fails here; a store
// made by NewOffsets alone (verify's, a test's) has no epoch to check.
func (o *Offsets) Save(ctx context.Context, tx *sql.Tx, txNext int64, applied event.Seq, offsets map[kafka.TopicPartition]int64) error {
	if err := o.lease.check(ctx, tx); err != nil {
		return err
	}
	q := "INSERT INTO " + o.table + " (sink, topic, kpartition, next_offset, seq) VALUES (?, ?, ?, ?, ?)" +
		" ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), seq = VALUES(seq)"
	if _, err := tx.ExecContext(ctx, q, o.key, o.txTopic, 0, txNext, string(applied)); err != nil {
		return fmt.Errorf("sink %s: save offsets: %w", o.name, err)
	}
	for tp, off := range offsets {
		if _, err := tx.ExecContext(ctx, q, o.key, tp.Topic, tp.Partition, off, ""); err != nil {
			return fmt.Errorf("sink %s: save offsets: %w", o.name, err)
		}
	}
	return nil
}

// save is Save of batch b.
func (o *Offsets) save(ctx context.Context, tx *sql.Tx, b *batch) error {
	return o.Save(ctx, tx, b.txNext, b.applied, b.offsets)
}

// advance records in memory that b was committed on the replica.
func (o *Offsets) advance(b *batch) {
	for tp, off := range b.offsets {
		o.next[tp] = off
	}
	o.next[o.txTP()] = b.txNext
	o.applied = b.applied
}

func (o *Offsets) txTP() kafka.TopicPartition {
	return kafka.TopicPartition{Topic: o.txTopic, Partition: 0}
}

// AppliedSeq reads the Seq the sink last committed and whether its
// checkpoint has been still for at least two seconds. Without a row it
// returns an error wrapping ErrNoCheckpoint.
func (o *Offsets) AppliedSeq(ctx context.Context, db *sql.DB) (seq event.Seq, still bool, err error) {
	var s string
	err = db.QueryRowContext(ctx, "SELECT seq, updated_at < NOW(6) - INTERVAL 2 SECOND FROM "+o.table+
		" WHERE sink = ? AND topic = ? AND kpartition = 0", o.key, o.txTopic).Scan(&s, &still)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("%w in %s on the replica (key %s)", ErrNoCheckpoint, o.table, o.key)
	}
	if err != nil {
		return "", false, fmt.Errorf("read the sink's checkpoint %s: %w", o.table, err)
	}
	return event.Seq(s), still, nil
}

// Lock locks, in tx, the sink's transaction-topic row, which every sink
// commit updates (Save): until tx ends the sink cannot commit, and what it
// commits afterwards comes after the Seq returned.
func (o *Offsets) Lock(ctx context.Context, tx *sql.Tx) (event.Seq, error) {
	var s string
	err := tx.QueryRowContext(ctx, "SELECT seq FROM "+o.table+" WHERE sink = ? AND topic = ? AND kpartition = 0 FOR UPDATE",
		o.key, o.txTopic).Scan(&s)
	if err != nil {
		return "", fmt.Errorf("lock the sink's checkpoint in %s: %w", o.table, err)
	}
	return event.Seq(s), nil
}

// restartSQL is the statement that starts the sink over (on topic, or on
// every topic when topic is ""), for recovery instructions.
func (o *Offsets) restartSQL(topic string) string {
	q := fmt.Sprintf("DELETE FROM %s WHERE sink = '%s'", o.table, o.key)
	if topic != "" {
		q += fmt.Sprintf(" AND topic = '%s'", topic)
	}
	return q
}

// gone turns kafka.ErrOffsetGone from opening tp at off into the Fatal
// error that says how to recover; other errors pass through.
func (o *Offsets) gone(err error, tp kafka.TopicPartition, off int64) error {
	if !errors.Is(err, kafka.ErrOffsetGone) {
		return err
	}
	return &connector.Fatal{Err: fmt.Errorf("sink %s: %w. The replica missed the changes in between and cannot be brought up to date from Kafka. "+
		"Recover: stop sluice; move the sink past the gap: UPDATE %s SET next_offset = <the partition's first offset> WHERE sink = '%s' AND topic = '%s' AND kpartition = %d "+
		"(for every partition this error names on restart); start it; then %s",
		o.name, err, o.table, o.key, tp.Topic, tp.Partition, recoverResync)}
}
