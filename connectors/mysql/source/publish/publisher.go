package publish

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/faults"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// Flush thresholds of the source's publisher.
const (
	FlushRows  = 5000
	FlushBytes = 8 << 20
	FlushDelay = 20 * time.Millisecond
)

// Observer is told what the publisher read and published. Its methods
// are called from the publisher's goroutines and must be safe for
// concurrent use.
type Observer interface {
	SetRead(p event.Position) // the end of the last transaction queued
	Published(rows int)       // rows Kafka acknowledged
}

// Publisher batches row messages and transaction markers and produces them
// in the order that keeps the invariant: a marker is sent only after every
// row it counts was acknowledged. Sealed batches are produced in the
// background (publisher_flight.go) while the reader goes on decoding; the
// positions move on only as batches are acknowledged, in order. It is not
// safe for concurrent use: only the reader's goroutine calls it.
type Publisher struct {
	client     *kafka.Client
	topics     event.Topics
	partitions int // partitions of new table topics
	labels     [2]string
	m          *metrics.Metrics

	Known map[string]int          // topic -> partition count
	outs  map[[2]string]*tableOut // db, table -> names, partitions, counters

	Cur *Batch // queued, not yet handed to the flight
	fl  flight // batches being produced

	Tx *TxBuilder // the open transaction, nil between transactions

	// committed is the position after the last closed transaction, queued
	// or not; acked is the position up to which everything is acknowledged.
	Committed, Acked       event.Position
	CommittedSeq, AckedSeq event.Seq
	lastFlush              time.Time

	Stat Observer         // the source's status
	hook *faults.ExitHook // fault tests only (testhook.go)

	// TopicOf returns the topic of a table's rows; nil: topics.Table.
	TopicOf func(ctx context.Context, db, table string) (string, error)
}

// TxBuilder counts the rows of one open transaction.
type TxBuilder struct {
	id     string
	seq    event.Seq
	total  uint64
	perTP  map[kafka.TopicPartition]uint64
	perTab map[string]uint64
	tabOrd []string
	snap   bool
	trunc  []string
	Rng    *event.KeyRange // an incremental snapshot chunk's key range
	ddl    *event.DDL
}

// New builds a publisher of a source's changes to its topics through c;
// partitions is the partition count of new table topics.
func New(c *kafka.Client, topics event.Topics, partitions int, m *metrics.Metrics, labels [2]string) *Publisher {
	return &Publisher{
		client: c, topics: topics, partitions: partitions, m: m, labels: labels,
		Known: map[string]int{}, Cur: NewBatch(), lastFlush: time.Now(), hook: faults.NewExitHook(),
	}
}

// ensureTopic creates a table topic when needed and returns its partitions.
func (p *Publisher) ensureTopic(ctx context.Context, topic string, spec kafka.TopicSpec) (int, error) {
	if n, ok := p.Known[topic]; ok {
		return n, nil
	}
	spec.Name = topic
	err := faults.RefusedTopic(topic) // the fault tests' stand-in for a Kafka that refuses the name
	n := 0
	if err == nil {
		n, err = p.client.EnsureTopic(ctx, spec)
	}
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "invalid topic") {
			return 0, &connector.Fatal{Err: &TopicError{Err: fmt.Errorf("topic %s: %w; Kafka takes only ASCII letters, digits, '.', '_' and '-' in topic names: "+
				"leave the table out of tables: or rename it (the embedded broker takes such names)", topic, err)}}
		}
		if strings.Contains(err.Error(), "collides") {
			// Kafka treats '.' and '_' alike in topic names: shop.order_items
			// and shop_order.items cannot both exist. Retrying cannot help.
			return 0, &connector.Fatal{Err: &TopicError{Err: fmt.Errorf("topic %s: %w; Kafka takes '.' and '_' for the same character in topic names, "+
				"so two tables whose names differ only there cannot both be captured: leave one out of tables:", topic, err)}}
		}
		return 0, err
	}
	if n != spec.Partitions {
		// Rows are placed by fnv1a(key) mod the count: another count moves
		// keys to other partitions, and a consumer reading partitions
		// independently would see a key's changes out of order.
		return 0, &connector.Fatal{Err: fmt.Errorf("topic %s has %d partitions, kafka.partitions is %d: the partition count changed, "+
			"and publishing with either count would move keys between partitions. Recover: set kafka.partitions: %d to keep the topic as it is; "+
			"or, to change the count, stop sluice, delete the pipeline's table topics and the sinks' checkpoints, and start over with a snapshot",
			topic, n, spec.Partitions, n)}
	}
	p.Known[topic] = n
	return n, nil
}

// TopicError says the broker (or sluice, before asking it) refuses the
// topic of one table: retrying cannot help, and the source may quarantine
// that table.
type TopicError struct {
	Table string // "db.table"
	Err   error
}

func (e *TopicError) Error() string { return e.Err.Error() }
func (e *TopicError) Unwrap() error { return e.Err }

// Prepare makes sure the topic of table db.table exists, before any of its
// rows is decoded; its error is that of AddKeyed for the table (a
// *TopicError when the topic is refused).
func (p *Publisher) Prepare(ctx context.Context, db, table string) error {
	_, err := p.tableOut(ctx, db, table)
	return err
}

// Begin opens a transaction identified by seq.
func (p *Publisher) Begin(id string, seq event.Seq, snapshot bool) {
	p.Tx = &TxBuilder{id: id, seq: seq, perTP: map[kafka.TopicPartition]uint64{}, perTab: map[string]uint64{}, snap: snapshot}
}

// InTx reports whether a transaction is open.
func (p *Publisher) InTx() bool { return p.Tx != nil }

// Truncate asks sinks to empty tables before this transaction's rows.
func (p *Publisher) Truncate(tables []string) { p.Tx.trunc = append(p.Tx.trunc, tables...) }

// SetDDL makes the open transaction a schema change: its marker carries
// ddl and sinks apply it as a barrier.
func (p *Publisher) SetDDL(ddl *event.DDL) { p.Tx.ddl = ddl }

// Add queues one change of the open transaction. It fills in the
// transaction block.
func (p *Publisher) Add(ctx context.Context, ch *event.Change, key event.Row) error {
	k, err := event.EncodeKey(key)
	if err != nil {
		return fmt.Errorf("encode key of %s: %w", ch.Table(), err)
	}
	return p.AddKeyed(ctx, ch, k)
}

// AddKeyed is Add with the key already encoded (event.EncodeKey).
func (p *Publisher) AddKeyed(ctx context.Context, ch *event.Change, k []byte) error {
	tx := p.Tx
	out, err := p.tableOut(ctx, ch.Source.DB, ch.Source.Table)
	if err != nil {
		return err
	}
	table := out.name
	tx.total++
	if tx.perTab[table] == 0 {
		tx.tabOrd = append(tx.tabOrd, table)
	}
	tx.perTab[table]++
	ch.Transaction = &event.Transaction{ID: tx.id, TotalOrder: tx.total, DataCollectionOrder: tx.perTab[table], Seq: tx.seq}
	v, err := ch.Encode()
	if err != nil {
		return fmt.Errorf("encode change of %s key %s at %s:%d: %w", table, k, ch.Source.File, ch.Source.Pos, err)
	}
	if len(v)+len(k) > p.client.MaxMessageBytes() {
		// Fatal: retrying cannot help, and the change must never be dropped.
		return &connector.Fatal{Err: fmt.Errorf("change of %s key %s at binlog %s:%d (row %d) is %d bytes, over kafka.max_message_bytes %d: "+
			"raise it (and the broker's message.max.bytes); sluice stops here rather than drop the change",
			table, k, ch.Source.File, ch.Source.Pos, ch.Source.Row, len(v)+len(k), p.client.MaxMessageBytes())}
	}
	tp := kafka.TopicPartition{Topic: out.topic, Partition: event.PartitionFor(k, out.partitions)}
	tx.perTP[tp]++
	p.Cur.add(tp, kafka.Record{Key: k, Value: v}, table, ch.Op)
	out.read(p, ch.Op).Inc()
	return nil
}

// tableOut is what the publisher keeps per source table, so that a row
// costs no name building, topic lookup or metric label hashing.
type tableOut struct {
	name, topic string // "db.table" and its topic
	partitions  int
	rowsRead    map[event.Op]prometheus.Counter
}

func (p *Publisher) tableOut(ctx context.Context, db, table string) (*tableOut, error) {
	if out := p.outs[[2]string{db, table}]; out != nil {
		return out, nil
	}
	if err := p.topics.CheckTable(db, table); err != nil {
		return nil, &connector.Fatal{Err: &TopicError{Table: db + "." + table, Err: fmt.Errorf("%w: sluice cannot replicate it apart from the other tables yet; "+
			"leave it out of tables: (list the other tables or patterns explicitly) or rename it", err)}}
	}
	out := &tableOut{name: db + "." + table, topic: p.topics.Table(db, table), rowsRead: map[event.Op]prometheus.Counter{}}
	if p.TopicOf != nil {
		var err error
		if out.topic, err = p.TopicOf(ctx, db, table); err != nil {
			return nil, err
		}
	}
	n, err := p.ensureTopic(ctx, out.topic, kafka.TopicSpec{Partitions: p.partitions})
	if err != nil {
		var te *TopicError
		if errors.As(err, &te) {
			te.Table = out.name
		}
		return nil, err
	}
	out.partitions = n
	if p.outs == nil {
		p.outs = map[[2]string]*tableOut{}
	}
	p.outs[[2]string{db, table}] = out
	return out, nil
}

// read returns the counter of rows read of op.
func (o *tableOut) read(p *Publisher, op event.Op) prometheus.Counter {
	c := o.rowsRead[op]
	if c == nil {
		c = p.m.SourceRowsRead.WithLabelValues(p.labels[0], p.labels[1], o.name, string(op))
		o.rowsRead[op] = c
	}
	return c
}

// Commit closes the open transaction: its marker is queued behind its rows.
// A transaction without rows and without truncations leaves no marker.
func (p *Publisher) Commit(pos event.Position, tsMs int64) error {
	tx := p.Tx
	p.Tx = nil
	p.Committed = pos
	if p.Stat != nil {
		p.Stat.SetRead(pos)
	}
	if tx == nil || (tx.total == 0 && len(tx.trunc) == 0 && tx.Rng == nil && tx.ddl == nil) {
		if p.Idle() {
			p.Acked = pos // nothing queued or in flight: the position may move on
		}
		return nil
	}
	p.CommittedSeq = tx.seq
	m := event.TxMarker{Status: "END", ID: tx.id, TsMs: tsMs, EventCount: tx.total, Seq: tx.seq,
		Position: pos, Truncate: tx.trunc, Snapshot: tx.snap, Range: tx.Rng, DDL: tx.ddl}
	for _, t := range tx.tabOrd {
		m.DataCollections = append(m.DataCollections, event.DataCollection{DataCollection: t, EventCount: tx.perTab[t]})
	}
	for tp, c := range tx.perTP {
		m.Partitions = append(m.Partitions, event.PartitionCount{Topic: tp.Topic, Partition: tp.Partition, Count: c})
	}
	sortPartitions(m.Partitions)
	b, err := m.Encode()
	if err != nil {
		return err
	}
	p.Cur.Markers = append(p.Cur.Markers, kafka.Record{Key: []byte(tx.id), Value: b})
	return nil
}

// Idle reports whether nothing is queued and nothing is in flight.
func (p *Publisher) Idle() bool { return p.Cur.empty() && p.fl.n == 0 }

// Due reports whether the queue should be sent now: it reached maxRows or
// maxBytes, or its oldest record waited maxDelay while at most one batch
// is in flight (under load, records wait for the flight to drain and go
// out in bigger batches).
func (p *Publisher) Due(maxRows, maxBytes int, maxDelay time.Duration) bool {
	b := p.Cur
	if b.empty() {
		return false
	}
	return b.rowCount >= maxRows || b.byteCount >= maxBytes || (time.Since(p.lastFlush) >= maxDelay && p.fl.n <= 1)
}

// Flush sends the queue and returns once Kafka acknowledged everything
// sent so far. After an error nothing queued may be considered published
// and the caller must restart from its checkpoint.
func (p *Publisher) Flush(ctx context.Context) error {
	if err := p.Send(ctx); err != nil {
		return err
	}
	for p.fl.n > 0 {
		if err := p.Reap(ctx, true); err != nil {
			return err
		}
	}
	return p.Reap(ctx, false) // nothing in flight: acked catches up with committed
}

func sortPartitions(ps []event.PartitionCount) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Topic != ps[j].Topic {
			return ps[i].Topic < ps[j].Topic
		}
		return ps[i].Partition < ps[j].Partition
	})
}
