package sink

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
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

// deadLetters handles the sink's poison messages. Contract: poison is
// called before the replica commit that passes the message and adds it to
// that batch; save records the batch's dead letters in the replica
// transaction that commits its offsets (Offsets.Save), and committed counts
// them once that transaction committed. Its methods run on Run's
// goroutine.
type deadLetters struct {
	s          *Sink
	topicReady bool // the dead-letter topic exists
}

func (d *deadLetters) tolerant() bool { return d.s.cfg.Errors.Tolerance == config.ToleranceAll }

// poison handles a message that cannot be applied. Without tolerance it
// returns the Fatal error that stops the sink at the message; with it, it
// produces the message to the dead-letter topic, adds it to b and returns nil.
func (d *deadLetters) poison(ctx context.Context, b *batch, o origin, reason string, cause error) error {
	s := d.s
	where := fmt.Sprintf("%s/%d offset %d key %s", o.tp.Topic, o.tp.Partition, o.offset, printableKey(o.key))
	if !d.tolerant() {
		return &connector.Fatal{Err: fmt.Errorf("%s: %w (a poison message: the sink stops here and commits nothing past it; "+
			"remove the cause and restart, or set errors: {tolerance: all, dead_letter_topic: NAME} on the sink to send such messages there and go on)",
			where, cause)}
	}
	topic := s.cfg.Errors.DeadLetterTopic
	if !d.topicReady {
		if _, err := s.env.Kafka.EnsureTopic(ctx, kafka.TopicSpec{Name: topic, Partitions: 1, Forever: true}); err != nil {
			return fmt.Errorf("sink %s: dead-letter topic: %w", s.cfg.Name, err)
		}
		d.topicReady = true
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

// table is the replica table recording dead-lettered messages.
func (d *deadLetters) table() string {
	return dbconn.QuoteTable(d.s.cfg.CheckpointDB, "sluice_dead_letters")
}

// load creates the dead-letter record table (tolerance: all) and reads how
// many messages it holds for this sink.
func (d *deadLetters) load(ctx context.Context) error {
	s := d.s
	if !d.tolerant() {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+d.table()+` (
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
		return fmt.Errorf("sink %s: create %s: %w", s.cfg.Name, d.table(), err)
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.table()+" WHERE sink = ?", s.key).Scan(&n); err != nil {
		return fmt.Errorf("sink %s: read %s: %w", s.cfg.Name, d.table(), err)
	}
	s.stat.setDeadLetters(s.cfg.Errors.DeadLetterTopic, n)
	return nil
}

// save records b's dead-lettered messages in the replica transaction tx
// that commits the offsets past them.
func (d *deadLetters) save(ctx context.Context, tx *sql.Tx, b *batch) error {
	s := d.s
	q := "INSERT INTO " + d.table() + " (sink, topic, kpartition, koffset, msg_key, reason, error, dead_letter_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" +
		" ON DUPLICATE KEY UPDATE reason = VALUES(reason), error = VALUES(error), dead_letter_offset = VALUES(dead_letter_offset)"
	for _, dl := range b.dead {
		key := dl.from.key
		if len(key) > 1024 {
			key = key[:1024]
		}
		if _, err := tx.ExecContext(ctx, q, s.key, dl.from.tp.Topic, dl.from.tp.Partition, dl.from.offset, key, dl.reason, dl.err, dl.dlqOffset); err != nil {
			return fmt.Errorf("sink %s: record dead letter: %w", s.cfg.Name, err)
		}
	}
	return nil
}

// committed counts b's dead letters once committed.
func (d *deadLetters) committed(b *batch) {
	s := d.s
	if len(b.dead) == 0 {
		return
	}
	m := s.env.Metrics.SinkDeadLettered
	for _, dl := range b.dead {
		m.WithLabelValues(s.labels[0], s.labels[1], dl.from.tp.Topic, dl.reason).Inc()
	}
	last := b.dead[len(b.dead)-1]
	s.stat.addDeadLetters(int64(len(b.dead)), &connector.DeadLetter{
		Topic: last.from.tp.Topic, Partition: last.from.tp.Partition, Offset: last.from.offset,
		Key: string(last.from.key), Reason: last.reason, Error: last.err, DeadLetterOffset: last.dlqOffset,
	})
}
