package sink

import (
	"fmt"
	"math"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// TypeName is the type: of a mysql-sink in the config file.
const TypeName = "mysql-sink"

// Defaults and bounds of a mysql-sink's keys.
const (
	DefaultBatchRows = 5000
	// DefaultBatchBytes bounds a replica commit by the size of the messages
	// it applies (16 MiB): wide rows reach it long before batch_rows.
	DefaultBatchBytes   = 16 << 20
	DefaultCheckpointDB = "sluice"
	// MaxSinkWorkers bounds a sink's workers (replica connections applying
	// one batch at once).
	MaxSinkWorkers   = 16
	minBatchBytes    = 1024
	maxBatch         = math.MaxInt32
	maxIdentifierLen = 64 // MySQL database names
)

// Kind is what config.Load needs of the mysql-sink type.
var Kind = config.Kind{
	Role: config.RoleSink,
	Spec: func(c *config.Connector) config.Spec { return &Config{Connector: c} },
}

// Config is a mysql-sink's configuration: the keys every connector has
// (name, dsn, tls) and the sink's own. config.Load decodes, defaults and
// validates it; after Load it is the connector's Spec.
type Config struct {
	*config.Connector

	Source       string            // name of the source connector whose changes this sink applies
	BatchRows    int               // most rows per replica commit
	BatchBytes   int               // most message bytes per replica commit (batch_bytes)
	Workers      int               // replica connections applying one batch at once, split by key (workers)
	CheckpointDB string            // database of the sink's checkpoint table on the replica
	Routes       []config.Route    // source db.table to replica db.table, in file order (routes)
	CreateTables *bool             // create missing databases and tables on the replica
	Verify       *config.Verify    // the top-level verify merged with this sink's own; non-nil after Load
	Errors       config.SinkErrors // what to do with a message the sink cannot apply (errors)
	Retry        config.Retry      // bounded retries of a failing replica (retry)
	OnTableError string            // config.OnTableErrorQuarantine (default) or config.OnTableErrorStop (on_table_error)

	tlsParam string // what Prepare appended to DSN, "" before
}

var _ config.Spec = (*Config)(nil)

// ConfigOf returns the mysql-sink config of c, or nil when c is nil or of
// another type.
func ConfigOf(c *config.Connector) *Config { return config.SpecOf[*Config](c) }

// TableSource is implemented by the config of a source type that names the
// tables it captures (a mysql-source's tables): the sink's check and verify
// read them.
type TableSource interface {
	TablePatterns() []string
}

// SourceTables returns the table patterns the source connector src
// captures, or nil when its type does not say.
func SourceTables(src *config.Connector) []string {
	if ts, ok := src.Spec.(TableSource); ok {
		return ts.TablePatterns()
	}
	return nil
}

// Keys implements config.Spec.
func (c *Config) Keys(d *config.Decoder) config.Keys {
	return config.Keys{
		"source":         d.Str(&c.Source),
		"batch_rows":     d.Int(&c.BatchRows, 1, maxBatch),
		"batch_bytes":    d.Int(&c.BatchBytes, minBatchBytes, maxBatch),
		"workers":        d.Int(&c.Workers, 1, MaxSinkWorkers),
		"checkpoint_db":  d.Str(&c.CheckpointDB),
		"create_tables":  d.Bool(&c.CreateTables),
		"verify":         d.Verify(&c.Verify),
		"routes":         d.Routes(&c.Routes),
		"errors":         d.SinkErrors(&c.Errors),
		"retry":          d.Retry(&c.Retry),
		"on_table_error": d.Str(&c.OnTableError),
	}
}

// Defaults implements config.Spec.
func (c *Config) Defaults(s *config.Scope) {
	if s.Unset("batch_rows", c.BatchRows == 0) {
		c.BatchRows = DefaultBatchRows
	}
	if s.Unset("batch_bytes", c.BatchBytes == 0) {
		c.BatchBytes = DefaultBatchBytes
	}
	if s.Unset("workers", c.Workers == 0) {
		c.Workers = 1
	}
	if s.Unset("checkpoint_db", c.CheckpointDB == "") {
		c.CheckpointDB = DefaultCheckpointDB
	}
	if c.CreateTables == nil {
		yes := true
		c.CreateTables = &yes
	}
	s.InheritVerify("verify", &c.Verify)
	s.DefaultSinkErrors("errors", &c.Errors)
	s.DefaultRetry("retry", &c.Retry)
	s.DefaultOnTableError("on_table_error", &c.OnTableError)
}

// Validate implements config.Spec.
func (c *Config) Validate(s *config.Scope) {
	dbconn.CheckDSN(s, false, c.tlsParam)
	s.CheckRoutes("routes", c.Routes)
	s.CheckSource("source", c.Source)
	s.CheckVerify("verify", c.Verify)
	s.CheckSinkErrors("errors", c.Errors)
	s.CheckRetry("retry", c.Retry)
	s.CheckOnTableError("on_table_error", c.OnTableError)
	s.IntRange("batch_rows", c.BatchRows, 1, maxBatch)
	s.IntRange("batch_bytes", c.BatchBytes, minBatchBytes, maxBatch)
	s.IntRange("workers", c.Workers, 1, MaxSinkWorkers)
	switch k := "checkpoint_db"; {
	case s.Skip(k):
	case c.CheckpointDB == "":
		s.Missing(k, "a database name on the replica, or remove the key for "+DefaultCheckpointDB)
	case len(c.CheckpointDB) > maxIdentifierLen || strings.HasSuffix(c.CheckpointDB, " ") ||
		strings.ContainsAny(c.CheckpointDB, "/\\.\x00"):
		s.Add(k, "%s is not a usable database name; use at most %d characters, no / \\ . and no trailing space",
			s.Show(k, c.CheckpointDB), maxIdentifierLen)
	}
}

// Prepare registers the connector's TLS settings with the MySQL driver and
// names them in its DSN (connector.Preparer).
func (c *Config) Prepare() error { return dbconn.ApplyTLS(c.Connector, &c.tlsParam) }

// VerifySettings returns the sink's verify settings
// (connector.VerifySettings).
func (c *Config) VerifySettings() config.Verify {
	if c.Verify == nil {
		return config.Verify{}
	}
	return *c.Verify
}

// RetrySettings returns the sink's retry bounds (connector.RetrySettings).
func (c *Config) RetrySettings() config.Retry { return c.Retry }

// configOf is ConfigOf for New, with the error of a connector of another
// type.
func configOf(c *config.Connector) (*Config, error) {
	if cfg := ConfigOf(c); cfg != nil {
		return cfg, nil
	}
	return nil, fmt.Errorf("connector %s: type %s has no mysql-sink config", c.Name, c.Type)
}
