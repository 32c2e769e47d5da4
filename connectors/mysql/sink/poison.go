package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Poison messages. A message the sink cannot apply — not JSON, not the
// envelope's shape, or a row the replica rejects — stops the sink at that
// message by default (errors.tolerance: none): the error names the topic,
// partition, offset and key, is a connector.Fatal (retrying cannot fix
// it), and nothing past the message is committed. With tolerance: all the
// message is produced to errors.dead_letter_topic, with why and where from
// in its headers, and the sink goes on without it. The divergence is
// never hidden: each dead-lettered message is logged at WARN, counted in
// sluice_sink_dead_lettered_total, recorded on the replica in
// <checkpoint_db>.sluice_dead_letters in the same transaction as the
// offsets that pass it, and counted in the sink's /status.
//
// What "going on" means: a row is skipped and the rest of its transaction
// applied; a transaction marker is skipped with its whole transaction
// (its rows, left on the partitions, are passed over as the next marker's
// older rows). A message is dead-lettered before the replica commit that
// passes it, so a crash in between dead-letters it again (the replica
// table keeps one row per message).

// Reasons of a dead-lettered message (header sluice.error.reason and the
// metric's reason label).
const (
	reasonDecode   = "decode"   // not JSON, or not the envelope's shape
	reasonRejected = "rejected" // the replica (or the sink's conversion) refused the row
)

// Headers of a dead-lettered message.
const (
	hdrReason    = "sluice.error.reason"
	hdrError     = "sluice.error.message"
	hdrTopic     = "sluice.original.topic"
	hdrPartition = "sluice.original.partition"
	hdrOffset    = "sluice.original.offset"
	hdrConnector = "sluice.connector"
)

// origin is where a message was read from, kept to dead-letter it.
type origin struct {
	tp         kafka.TopicPartition
	offset     int64
	key, value []byte
}

// deadLetter is one message sent to the dead-letter topic, recorded on
// the replica with the batch that passes it.
type deadLetter struct {
	from      origin
	reason    string
	err       string
	dlqOffset int64
}

func (s *Sink) tolerant() bool { return s.cfg.Errors.Tolerance == config.ToleranceAll }

// poison handles a message that cannot be applied. Without tolerance it
// returns the Fatal error that stops the sink at the message; with it, it
// produces the message to the dead-letter topic, adds it to b and returns nil.
func (s *Sink) poison(ctx context.Context, b *batch, o origin, reason string, cause error) error {
	where := fmt.Sprintf("%s/%d offset %d key %s", o.tp.Topic, o.tp.Partition, o.offset, printableKey(o.key))
	if !s.tolerant() {
		return &connector.Fatal{Err: fmt.Errorf("%s: %w (a poison message: the sink stops here and commits nothing past it; "+
			"remove the cause and restart, or set errors: {tolerance: all, dead_letter_topic: NAME} on the sink to send such messages there and go on)",
			where, cause)}
	}
	topic := s.cfg.Errors.DeadLetterTopic
	if !s.dlqReady {
		if _, err := s.env.Kafka.EnsureTopic(ctx, kafka.TopicSpec{Name: topic, Partitions: 1, Forever: true}); err != nil {
			return fmt.Errorf("sink %s: dead-letter topic: %w", s.cfg.Name, err)
		}
		s.dlqReady = true
	}
	rec := kafka.Record{Key: o.key, Value: o.value, Time: clock.Now(), Headers: []kafka.Header{
		{Key: hdrReason, Value: []byte(reason)},
		{Key: hdrError, Value: []byte(cause.Error())},
		{Key: hdrTopic, Value: []byte(o.tp.Topic)},
		{Key: hdrPartition, Value: []byte(strconv.Itoa(o.tp.Partition))},
		{Key: hdrOffset, Value: []byte(strconv.FormatInt(o.offset, 10))},
		{Key: hdrConnector, Value: []byte(s.cfg.Name)},
	}}
	if rec.Value == nil {
		rec.Value = []byte{}
	}
	off, err := s.env.Kafka.Produce(ctx, topic, 0, []kafka.Record{rec})
	if err != nil {
		return fmt.Errorf("sink %s: dead-letter %s: %w", s.cfg.Name, where, err)
	}
	b.dead = append(b.dead, deadLetter{from: o, reason: reason, err: cause.Error(), dlqOffset: off})
	s.log.Warn("poison message sent to the dead-letter topic: the replica diverges from the source by this message",
		"topic", o.tp.Topic, "partition", o.tp.Partition, "offset", o.offset, "key", printableKey(o.key),
		"reason", reason, "err", cause, "dead_letter_topic", topic, "dead_letter_offset", off)
	return nil
}

func printableKey(k []byte) string {
	if k == nil {
		return "(none)"
	}
	return strconv.Quote(string(k))
}

// dlTable is the replica table recording dead-lettered messages.
func (s *Sink) dlTable() string { return dbconn.QuoteTable(s.cfg.CheckpointDB, "sluice_dead_letters") }

// loadDeadLetters creates the dead-letter record table (tolerance: all)
// and reads how many messages it holds for this sink.
func (s *Sink) loadDeadLetters(ctx context.Context) error {
	if !s.tolerant() {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+s.dlTable()+` (
		sink VARCHAR(191) NOT NULL,
		topic VARCHAR(249) NOT NULL,
		kpartition INT NOT NULL,
		koffset BIGINT NOT NULL,
		msg_key VARBINARY(1024) NULL,
		reason VARCHAR(32) NOT NULL,
		error TEXT NOT NULL,
		dead_letter_offset BIGINT NOT NULL,
		at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
		PRIMARY KEY (sink, topic, kpartition, koffset)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`)
	if err != nil {
		return fmt.Errorf("sink %s: create %s: %w", s.cfg.Name, s.dlTable(), err)
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.dlTable()+" WHERE sink = ?", s.key).Scan(&n); err != nil {
		return fmt.Errorf("sink %s: read %s: %w", s.cfg.Name, s.dlTable(), err)
	}
	s.stat.setDeadLetters(s.cfg.Errors.DeadLetterTopic, n)
	return nil
}

// saveDeadLetters records b's dead-lettered messages in the replica
// transaction tx that commits the offsets past them.
func (s *Sink) saveDeadLetters(ctx context.Context, tx *sql.Tx, b *batch) error {
	q := "INSERT INTO " + s.dlTable() + " (sink, topic, kpartition, koffset, msg_key, reason, error, dead_letter_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" +
		" ON DUPLICATE KEY UPDATE reason = VALUES(reason), error = VALUES(error), dead_letter_offset = VALUES(dead_letter_offset)"
	for _, d := range b.dead {
		key := d.from.key
		if len(key) > 1024 {
			key = key[:1024]
		}
		if _, err := tx.ExecContext(ctx, q, s.key, d.from.tp.Topic, d.from.tp.Partition, d.from.offset, key, d.reason, d.err, d.dlqOffset); err != nil {
			return fmt.Errorf("sink %s: record dead letter: %w", s.cfg.Name, err)
		}
	}
	return nil
}

// afterDeadLetters counts b's dead letters once committed.
func (s *Sink) afterDeadLetters(b *batch) {
	if len(b.dead) == 0 {
		return
	}
	m := s.env.Metrics.SinkDeadLettered
	for _, d := range b.dead {
		m.WithLabelValues(s.labels[0], s.labels[1], d.from.tp.Topic, d.reason).Inc()
	}
	last := b.dead[len(b.dead)-1]
	s.stat.addDeadLetters(int64(len(b.dead)), &connector.DeadLetter{
		Topic: last.from.tp.Topic, Partition: last.from.tp.Partition, Offset: last.from.offset,
		Key: string(last.from.key), Reason: last.reason, Error: last.err, DeadLetterOffset: last.dlqOffset,
	})
}

// isRowRejection reports whether err, from applying rows, is the replica
// (or the sink's own conversion) refusing a value, as opposed to the
// connection or the server failing: only a rejection is dead-lettered.
func isRowRejection(err error) bool {
	var me *drv.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1048, // column cannot be null
			1062,       // duplicate entry on a unique key the source lacks
			1136,       // column count
			1216, 1452, // foreign key
			1264, 1265, 1292, 1366, 1367, 1406, 1411, 1416, // out of range, truncated, incorrect value
			1690,       // value out of range
			3140,       // invalid JSON
			3819, 4025: // check constraint
			return true
		}
		return false
	}
	var re rowError
	return errors.As(err, &re) // the sink's own checks: a missing column, a value of the wrong type
}

// rowError is an error in one row's content that the sink found itself
// (a value that does not convert to its column, a column the row lacks):
// the row is poison. Other errors of the sink (a definition not in the
// schema history yet) are retried.
type rowError struct{ err error }

func (e rowError) Error() string { return e.err.Error() }
func (e rowError) Unwrap() error { return e.err }

// applyBatch applies b. When the replica refuses one of its rows, the
// batch is applied again row by row behind savepoints to find which: that
// row is dead-lettered (tolerance: all), or named with its topic,
// partition, offset and key in the Fatal error that stops the sink.
// Batches that were read while applied (large transactions) or hold DDL
// cannot be replayed from memory; their error is returned as it is.
func (s *Sink) applyBatch(ctx context.Context, b *batch) error {
	err := s.apply(ctx, b)
	if err == nil || ctx.Err() != nil || b.ddl || !isRowRejection(err) {
		return err
	}
	for _, t := range b.txs {
		if t.streamed {
			return err
		}
	}
	s.log.Info("the replica refused a row; applying the batch row by row to find it", "err", err)
	b.careful = true
	return s.apply(ctx, b)
}

// applyCareful applies changes one at a time, each behind a savepoint; a
// row the replica refuses is rolled back to its savepoint and handed to
// poison, and the rest of the transaction is applied.
func (s *Sink) applyCareful(ctx context.Context, tx *sql.Tx, b *batch, changes []*event.Change, counts map[[2]string]int) error {
	for _, ch := range changes {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT sluice_row"); err != nil {
			return err
		}
		one := map[[2]string]int{}
		err := s.applyChanges(ctx, tx, []*event.Change{ch}, one)
		if err == nil {
			for k, n := range one {
				counts[k] += n
			}
			continue
		}
		o, ok := b.origin[ch]
		if !isRowRejection(err) || !ok {
			return err
		}
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sluice_row"); rerr != nil {
			return rerr
		}
		if perr := s.poison(ctx, b, o, reasonRejected, err); perr != nil {
			return perr
		}
	}
	return nil
}
