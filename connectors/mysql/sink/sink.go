package sink

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Sink is the mysql-sink connector.
type Sink struct {
	cfg    *Config
	env    connector.Env
	topics event.Topics
	log    *slog.Logger
	labels [2]string
	key    string // row key in the checkpoint table

	db      *sql.DB
	ckTable string // quoted checkpoint table

	hist       map[string][]schemaVersion // "db.table" -> its schema history, by seq
	schemaNext int64                      // next offset to read on the schema topic
	lastSchema time.Time
	created    map[string]bool // replica tables known to exist
	ddlReady   bool            // <checkpoint_db>.sluice_ddl exists

	txReader *kafka.PartitionReader
	markers  *markerReader                       // txReader's markers, decoded ahead (sink_prefetch.go)
	readers  map[kafka.TopicPartition]*rowReader // table-topic partitions, decoded ahead (sink_prefetch.go)
	offsets  map[kafka.TopicPartition]int64      // next offsets as committed on the replica
	applied  event.Seq                           // Seq of the last transaction committed on the replica
	pending  *pendingMarker                      // a marker fetched but not yet batched
	stat     sinkStatus                          // what Status reports
	dlqReady bool                                // the dead-letter topic exists
	merge    mergeCache                          // the replica's unique keys and packet size (sink_sql.go)
	workers  []*sql.Conn                         // connections of the workers (sink_workers.go)

	connector.Readiness

	lead  *kafka.Leadership // this process's term as the sink's applier (sink_leader.go)
	epoch int64             // its leader epoch on the replica, checked by every commit
}

var _ connector.Connector = (*Sink)(nil)

// New builds a mysql-sink from c, whose Spec is its *Config; it does no
// I/O.
func New(c *config.Connector, env connector.Env) (connector.Connector, error) {
	cfg, err := configOf(c)
	if err != nil {
		return nil, err
	}
	s := &Sink{
		cfg: cfg, env: env,
		topics:  event.Topics{Pipeline: env.Config.Name, Source: cfg.Source},
		log:     env.Logger.With("connector", cfg.Name),
		labels:  [2]string{env.Config.Name, cfg.Name},
		key:     env.Config.Name + "/" + cfg.Name,
		hist:    map[string][]schemaVersion{},
		created: map[string]bool{},
		readers: map[kafka.TopicPartition]*rowReader{},
		offsets: map[kafka.TopicPartition]int64{},
	}
	return s, nil
}

// runLeader is Run once this process leads the sink (sink_leader.go); ctx
// is done when the term ends.
func (s *Sink) runLeader(ctx context.Context) error {
	defer s.closeReaders()
	db, _, err := dbconn.Open(ctx, dbconn.WithSinkParams(s.cfg.DSN), 4+s.cfg.Workers)
	if err != nil {
		return fmt.Errorf("sink %s: replica %w", s.cfg.Name, err)
	}
	defer db.Close()
	s.db = db
	defer s.closeWorkers()
	if err := s.loadCheckpoint(ctx); err != nil {
		return err
	}
	if err := s.checkCheckpoint(); err != nil {
		return err
	}
	if err := s.loadDeadLetters(ctx); err != nil {
		return err
	}
	defer s.startStatus(ctx)()
	if err := s.waitForSource(ctx); err != nil {
		return err
	}
	if err := s.checkResume(ctx); err != nil {
		return err
	}
	if err := s.refreshSchemas(ctx); err != nil {
		return err
	}
	txTP := kafka.TopicPartition{Topic: s.topics.Transaction(), Partition: 0}
	txOff := s.offsets[txTP]
	if s.txReader, err = s.env.Kafka.NewPartitionReader(ctx, txTP.Topic, 0, txOff); err != nil {
		return s.offsetGone(err, txTP, txOff)
	}
	s.SetReady(nil)
	s.log.Info("applying", "source", s.cfg.Source, "transaction_offset", txOff, "applied_seq", string(s.applied))
	readSecs := s.env.Metrics.SinkSeconds.WithLabelValues(s.labels[0], s.labels[1], "read")
	for {
		start := time.Now()
		b, err := s.nextBatch(ctx)
		readSecs.Add(time.Since(start).Seconds())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := s.applyBatch(ctx, b); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// waitForSource waits until the source created its transaction topic.
func (s *Sink) waitForSource(ctx context.Context) error {
	for i := 0; ; i++ {
		n, err := s.env.Kafka.Partitions(ctx, s.topics.Transaction())
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if i%50 == 0 {
			s.log.Info("waiting for source topics", "source", s.cfg.Source, "topic", s.topics.Transaction())
		}
		s.SetReady(fmt.Errorf("waiting for source %s to create %s", s.cfg.Source, s.topics.Transaction()))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Sink) reader(ctx context.Context, tp kafka.TopicPartition) (*rowReader, error) {
	if r := s.readers[tp]; r != nil {
		return r, nil
	}
	r, err := s.env.Kafka.NewPartitionReader(ctx, tp.Topic, tp.Partition, s.offsets[tp])
	if err != nil {
		return nil, s.offsetGone(err, tp, s.offsets[tp])
	}
	s.readers[tp] = newRowReader(r)
	return s.readers[tp], nil
}

func (s *Sink) closeReaders() {
	for _, r := range s.readers {
		r.Close()
	}
	switch {
	case s.markers != nil: // closes txReader
		s.markers.Close()
	case s.txReader != nil:
		s.txReader.Close()
	}
	clear(s.readers)
	s.markers, s.txReader = nil, nil
}
