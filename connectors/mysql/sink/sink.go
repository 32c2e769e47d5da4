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

// Sink is the mysql-sink connector: the driver of one sink. Run elects
// this process as the applier (leader.go); each term, runLeader wires the
// sink's roles to one replica connection pool and loops: the batcher
// reads the next batch of source transactions (batcher.go), the applier
// commits it on the replica with its offsets (apply.go), or the DDL runner
// applies it when it is a DDL (ddl.go). The roles hold a back-pointer to
// the Sink for what they share (config, Kafka, metrics, the replica, the
// other roles) and run on Run's goroutine; only Status and Check run
// concurrently with it.
type Sink struct {
	cfg    *Config
	env    connector.Env
	topics event.Topics
	log    *slog.Logger
	labels [2]string
	key    string // the sink's rows in the checkpoint_db tables (Offsets.Key)
	routes routes // source tables to replica tables (route.go)

	db *sql.DB // the replica, for the current term

	lease   *lease         // the leader epoch on the replica (leader.go)
	offsets *Offsets       // the checkpoint: positions as committed on the replica (offsets.go)
	schema  *schemaHistory // the source's table definitions by Seq (schema.go)
	batcher *batcher       // Kafka to batches (batcher.go, prefetch.go, stream.go)
	applier *applier       // batches to replica transactions (apply.go, merge.go, sql.go, pipe.go, range.go, workers.go, careful.go)
	ddl     *ddlRunner     // DDL batches and the replica tables (ddl.go, ddl_plan.go, tables.go)
	dead    *deadLetters   // poison messages (deadletters.go)
	quar    *quarantine    // tables held back (quarantine.go)
	stat    sinkStatus     // what Status reports (status.go)

	connector.Readiness
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
		offsets: NewOffsets(env.Config.Name, cfg.Name, cfg.Source, cfg.CheckpointDB),
		routes:  cfg.Routes,
	}
	s.key = s.offsets.Key()
	s.lease = newLease(cfg.CheckpointDB, s.key, cfg.Name, s.log)
	s.offsets.lease = s.lease
	s.schema = newSchemaHistory(env.Kafka, s.topics.Schema())
	s.batcher = &batcher{s: s, readers: map[kafka.TopicPartition]*rowReader{}}
	s.applier = &applier{s: s}
	s.applier.workers.s = s
	s.ddl = &ddlRunner{s: s, created: map[string]bool{}}
	s.dead = &deadLetters{s: s}
	s.quar = &quarantine{s: s}
	return s, nil
}

// runLeader is Run once this process leads the sink (leader.go); ctx
// is done when the term ends.
func (s *Sink) runLeader(ctx context.Context) error {
	defer s.batcher.close()
	db, _, err := dbconn.Open(ctx, dbconn.WithSinkParams(s.cfg.DSN), 4+s.cfg.Workers)
	if err != nil {
		return fmt.Errorf("sink %s: replica %w", s.cfg.Name, err)
	}
	defer db.Close()
	s.db = db
	defer s.applier.workers.close()
	if err := s.offsets.load(ctx, s.db); err != nil {
		return err
	}
	if err := s.applier.workers.recover(ctx); err != nil {
		return err
	}
	if err := s.offsets.check(); err != nil {
		return err
	}
	if err := s.dead.load(ctx); err != nil {
		return err
	}
	if err := s.quar.load(ctx); err != nil {
		return err
	}
	defer s.startStatus(ctx)()
	if err := s.waitForSource(ctx); err != nil {
		return err
	}
	if err := s.checkResume(ctx); err != nil {
		return err
	}
	if err := s.schema.refresh(ctx); err != nil {
		return err
	}
	if err := s.batcher.open(ctx); err != nil {
		return err
	}
	s.SetReady(nil)
	s.log.Info("applying", "source", s.cfg.Source, "transaction_offset", s.offsets.next[s.offsets.txTP()], "applied_seq", string(s.offsets.applied))
	readSecs := s.env.Metrics.SinkSeconds.WithLabelValues(s.labels[0], s.labels[1], "read")
	for {
		start := time.Now()
		b, err := s.batcher.next(ctx)
		readSecs.Add(time.Since(start).Seconds())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := s.applier.batch(ctx, b); err != nil {
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
