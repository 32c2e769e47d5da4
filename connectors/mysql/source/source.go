package source

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/leader"
	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// checkpointEvery is how often the source records its position.
const checkpointEvery = time.Second

// Source is the mysql-source connector.
type Source struct {
	cfg    *Config
	env    connector.Env
	topics event.Topics
	filter catalog.Filter
	log    *slog.Logger
	labels [2]string

	db     *sql.DB
	dbCfg  *drv.Config
	info   *dbconn.ServerInfo
	store  *checkpoint.Store
	pub    *publish.Publisher
	tables map[string]*event.TableDef // "db.table" -> definition at the reader's position
	schema *catalog.State             // applies DDL to tables; set by initSchema
	state  checkpoint.SourceState     // last saved

	seqBase   uint64       // added to binlog file numbers in Seqs (failover.go)
	historyAt event.Seq    // after a failover: the schema history's point, in the old server's Seqs
	stat      sourceStatus // what Status reports
	snap      snapState    // snapshot bookkeeping (snapshot_state.go)

	capture pendingCapture // tables to read once the reader catches up (history.go)
	// sequences are selected names that are sequences (MariaDB CREATE
	// SEQUENCE): their rows (NEXTVAL) are left out, said once each.
	sequences map[string]bool

	connector.Readiness
	xa xaState // XA transactions between PREPARE and COMMIT (xa.go)

	lead *kafka.Leadership // this process's term as the source's leader (leader.go)
	quar quarantineSet     // tables whose changes are held back (quarantine.go)

	histTopics tableTopics       // what the schema history says of table topics (topics.go)
	topicFor   map[string]string // "db.table" -> its topic this term (topicOf)
}

var _ connector.Connector = (*Source)(nil)

// New builds a mysql-source from c, whose Spec is its *Config; it does no
// I/O.
func New(c *config.Connector, env connector.Env) (connector.Connector, error) {
	cfg := ConfigOf(c)
	if cfg == nil {
		return nil, fmt.Errorf("connector %s: type %s has no mysql-source config", c.Name, c.Type)
	}
	s := &Source{
		cfg:    cfg,
		env:    env,
		topics: event.Topics{Pipeline: env.Config.Name, Source: cfg.Name},
		filter: catalog.Filter(cfg.Tables),
		log:    env.Logger.With("connector", cfg.Name),
		labels: [2]string{env.Config.Name, cfg.Name},
		tables: map[string]*event.TableDef{},
	}
	return s, nil
}

// Run implements connector.Connector. Several processes may run the same
// source (by mistake, or for failover): they elect one through the consumer
// group event.Topics.Leader (kafka.Client.Campaign), and only the leader
// reads the binlog and publishes. The others wait as standbys (Ready returns
// a *connector.Standby naming the leader) and one of them leads within
// about kafka.ElectionSession plus a heartbeat after the leader dies, at
// once when it stops cleanly (it leaves the group).
//
// A leader that loses its term (its lease ran out: no heartbeat confirmed
// for kafka.ElectionLease, shorter than the session timeout after which the
// coordinator elects another) stops publishing at once: everything runs
// under the term's context, and its checkpoint store refuses to write.
// Run then returns an error wrapping kafka.ErrLeadershipLost, and the
// runtime restarts the source as a candidate. When ctx is done Run returns
// nil, also while it waits as a standby.
func (s *Source) Run(ctx context.Context) error {
	defer s.SetReady(errors.New("stopped"))
	gauge := s.env.Metrics.SourceLeader.WithLabelValues(s.labels[:]...)
	return leader.Lead(ctx, leader.Election{
		Env: s.env, Group: s.topics.Leader(), Log: s.log, Gauge: gauge,
		What: "source " + s.cfg.Name, Role: "publishing", Standby: "another process leads this source",
		SetReady: s.SetReady,
		Run: func(ctx context.Context, l *kafka.Leadership) error {
			s.lead = l
			return s.runLeader(ctx)
		},
	})
}

// runLeader is Run once this process leads the source; ctx is
// done when the term ends.
func (s *Source) runLeader(ctx context.Context) error {
	defer s.SetReady(errors.New("stopped"))
	db, dbCfg, err := dbconn.Open(ctx, s.cfg.DSN, 4)
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	defer db.Close()
	s.db, s.dbCfg = db, dbCfg
	defer catalog.OptInUniqueKey(db, s.cfg.UniqueKeyTables)() // keyless.go
	if s.info, err = dbconn.Preflight(ctx, db, dbCfg.Addr, s.cfg.Flavor); err != nil {
		return err
	}
	if s.cfg.OnTableError == config.OnTableErrorStop || s.info.Flavor != "mariadb" { // else quarantined (quarantine.go)
		if err := catalog.CheckForeignKeys(ctx, db, s.filter); err != nil {
			return fmt.Errorf("source %s: %w", s.cfg.Name, err)
		}
		if err := s.checkNames(ctx); err != nil {
			return err
		}
	}
	if err := s.ensureControlTopics(ctx); err != nil {
		return err
	}
	if err := s.claim(ctx); err != nil { // leader.go: fence the previous leader's checkpoints
		return err
	}
	st, err := s.store.Load(ctx, s.cfg.Name)
	if err != nil {
		return err
	}
	if st, err = s.resolveServer(ctx, st); err != nil { // failover.go: another server than recorded
		return err
	}
	if err := s.initSchema(ctx, st); err != nil {
		return err
	}
	s.pub = publish.New(s.env.Kafka, s.topics, s.env.Config.Kafka.Partitions, s.env.Metrics, s.labels)
	s.pub.TopicOf = s.topicOf
	defer s.pub.Close() // no produce request outlives the term
	defer s.startStatus(ctx)()
	pos, err := s.startPosition(ctx, st)
	if err != nil {
		return err
	}
	if err := s.quarantineAtStart(ctx); err != nil {
		return err
	}
	s.stat.setRecorded(pos)
	s.log.Info("streaming binlog", "position", pos.String(), "server", dbCfg.Addr, "flavor", s.info.Flavor)
	return s.stream(ctx, pos)
}

func (s *Source) ensureControlTopics(ctx context.Context) error {
	c := s.env.Kafka
	if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: s.topics.Transaction(), Partitions: 1}); err != nil {
		return err
	}
	if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: s.topics.Schema(), Partitions: 1, Forever: true}); err != nil {
		return err
	}
	store, err := checkpoint.Open(ctx, c, s.topics.Offsets())
	if err != nil {
		return err
	}
	s.store = store
	return nil
}

// publishSchema writes one definition to the schema topic and returns once
// Kafka acknowledged it, so it precedes every row that needs it.
func (s *Source) publishSchema(ctx context.Context, def *event.TableDef, seq event.Seq) error {
	r, err := s.schemaRecord(ctx, event.SchemaRecord{Seq: seq, Table: *def})
	if err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.env.Kafka.Produce(ctx, s.topics.Schema(), 0, []kafka.Record{{Key: []byte(def.Name()), Value: b}})
	return err
}

// saveState records the publisher's acknowledged position.
func (s *Source) saveState(ctx context.Context) error {
	s.prepareState()
	s.state.Position, s.state.Seq = s.xa.heldPosition(s.pub.Acked, s.pub.AckedSeq) // xa.go
	s.state.ServerID = s.info.ServerID
	s.state.ServerUUID = s.info.UUID
	s.state.Flavor = s.info.Flavor
	s.state.DomainID = s.info.DomainID
	s.state.SeqBase = s.seqBase
	if err := s.store.Save(ctx, s.cfg.Name, s.state); err != nil {
		return err
	}
	s.stat.setRecorded(s.state.Position)
	if n, err := event.BinlogFileNumber(s.state.Position.File); err == nil {
		s.env.Metrics.SourceBinlogFile.WithLabelValues(s.labels[0], s.labels[1]).Set(float64(n))
	}
	s.env.Metrics.SourceBinlogPos.WithLabelValues(s.labels[0], s.labels[1]).Set(float64(s.state.Position.Pos))
	return nil
}

// masterPosition returns the server's current binlog position and GTID set.
func masterPosition(ctx context.Context, db *sql.DB, flavor string) (event.Position, error) {
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return event.Position{}, fmt.Errorf("SHOW MASTER STATUS: %w (the source user needs REPLICATION CLIENT)", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return event.Position{}, &connector.Fatal{Err: errors.New("SHOW MASTER STATUS returned nothing: binary logging is off")}
	}
	vals, err := sqlscan.Row(rows)
	if err != nil {
		return event.Position{}, err
	}
	var pos event.Position
	pos.File = vals[0].String
	fmt.Sscan(vals[1].String, &pos.Pos)
	rows.Close()
	if flavor != "mariadb" {
		if len(vals) > 4 {
			pos.GTID = vals[4].String
		}
		return pos, nil
	}
	pos.GTID, err = gtidAt(ctx, db, flavor, pos)
	return pos, err
}

// gtidAt returns the MariaDB GTID position at pos ("" on MySQL).
func gtidAt(ctx context.Context, db *sql.DB, flavor string, pos event.Position) (string, error) {
	var g sql.NullString
	if flavor != "mariadb" {
		return "", nil
	}
	if err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", pos.File, pos.Pos).Scan(&g); err != nil {
		return "", fmt.Errorf("read GTID position: %w", err)
	}
	return g.String, nil
}

// checkNames refuses selected tables that could not be kept apart from
// others (event.Topics.CheckTable), before anything is read: two such
// tables share one "db.table" name, so even listing them for a snapshot
// would drop one.
func (s *Source) checkNames(ctx context.Context) error {
	tables, err := catalog.RefusedTables(ctx, s.db, s.filter)
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	for _, t := range tables {
		if err := s.topics.CheckTable(t[0], t[1]); err != nil {
			return &connector.Fatal{Err: fmt.Errorf("source %s: %w: sluice cannot replicate it apart from the other tables yet; "+
				"leave it out of tables: (list the other tables or patterns explicitly) or rename it", s.cfg.Name, err)}
		}
	}
	return nil
}
