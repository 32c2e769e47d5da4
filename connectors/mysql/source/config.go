package source

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// TypeName is the type: of a mysql-source in the config file.
const TypeName = "mysql-source"

// Defaults and bounds of a mysql-source's keys.
const (
	DefaultSnapshot          = "initial"
	DefaultSnapshotChunkSize = 5000
	// DefaultSnapshotParallelism copies two tables at once: a second
	// connection hides most of one table's query latency without loading
	// the source much.
	DefaultSnapshotParallelism = 2
	// MaxSnapshotParallelism bounds snapshot_parallelism (connections held
	// open on the source during the initial snapshot).
	MaxSnapshotParallelism = 32
	DefaultFlavor          = "auto"
	maxChunk               = math.MaxInt32
)

// Kind is what config.Load needs of the mysql-source type.
var Kind = config.Kind{
	Role: config.RoleSource,
	Spec: func(c *config.Connector) config.Spec { return &Config{Connector: c} },
}

// Config is a mysql-source's configuration: the keys every connector has
// (name, dsn, tls) and the source's own. config.Load decodes, defaults and
// validates it; after Load it is the connector's Spec.
type Config struct {
	*config.Connector

	ServerID          uint32   // replication server id of the binlog reader, unique on the source server
	Tables            []string // "db.table" patterns; either part may use path.Match globs
	Snapshot          string   // "initial" (copy existing rows first), "when_needed" (also when the position was purged) or "never"
	SnapshotChunkSize int      // rows per snapshot query
	SnapshotParallel  int      // tables copied at once by the initial snapshot (snapshot_parallelism)
	Flavor            string   // "auto", "mysql" or "mariadb"
	SkipDDL           []string // "file:pos" of DDL statements the reader passes over (skip_ddl)
	UniqueKeyTables   []string // "db.table" patterns of tables without a primary key keyed by a unique NOT NULL key (unique_key_tables)
	OnTableError      string   // config.OnTableErrorQuarantine (default) or config.OnTableErrorStop (on_table_error)

	tlsParam string // what Prepare appended to DSN, "" before
}

var _ config.Spec = (*Config)(nil)

// ConfigOf returns the mysql-source config of c, or nil when c is nil or of
// another type.
func ConfigOf(c *config.Connector) *Config { return config.SpecOf[*Config](c) }

// Keys implements config.Spec.
func (c *Config) Keys(d *config.Decoder) config.Keys {
	return config.Keys{
		"server_id":            d.Uint32(&c.ServerID, 1, math.MaxUint32),
		"tables":               d.Strs(&c.Tables),
		"snapshot":             d.Str(&c.Snapshot),
		"snapshot_chunk_size":  d.Int(&c.SnapshotChunkSize, 1, maxChunk),
		"snapshot_parallelism": d.Int(&c.SnapshotParallel, 1, MaxSnapshotParallelism),
		"skip_ddl":             d.Strs(&c.SkipDDL),
		"unique_key_tables":    d.Strs(&c.UniqueKeyTables),
		"flavor":               d.Str(&c.Flavor),
		"on_table_error":       d.Str(&c.OnTableError),
	}
}

// Defaults implements config.Spec.
func (c *Config) Defaults(s *config.Scope) {
	if s.Unset("snapshot", c.Snapshot == "") {
		c.Snapshot = DefaultSnapshot
	}
	if s.Unset("snapshot_chunk_size", c.SnapshotChunkSize == 0) {
		c.SnapshotChunkSize = DefaultSnapshotChunkSize
	}
	if s.Unset("snapshot_parallelism", c.SnapshotParallel == 0) {
		c.SnapshotParallel = DefaultSnapshotParallelism
	}
	if s.Unset("flavor", c.Flavor == "") {
		c.Flavor = DefaultFlavor
	}
	s.DefaultOnTableError("on_table_error", &c.OnTableError)
}

// Validate implements config.Spec.
func (c *Config) Validate(s *config.Scope) {
	dbconn.CheckDSN(s, true, c.tlsParam)
	for i, p := range c.SkipDDL {
		if k := fmt.Sprintf("skip_ddl[%d]", i); !s.Skip(k) && !skipDDLRe.MatchString(p) {
			s.Add(k, "%s is not a binlog position; write the position the error named, e.g. \"mariadb-bin.000003:12345\"", s.Show(k, p))
		}
	}
	if c.ServerID == 0 && !s.Skip("server_id") {
		s.Missing("server_id", fmt.Sprintf("a number from 1 to %d that no other replica or binlog reader of this MySQL server uses",
			uint32(math.MaxUint32)))
	}
	switch {
	case s.Skip("tables"):
	case len(c.Tables) == 0:
		s.Missing("tables", `the tables to capture as db.table patterns, e.g. ["shop.*"]`)
	default:
		checkPatterns(s, "tables", c.Tables)
	}
	s.OneOf("snapshot", c.Snapshot, "initial", "when_needed", "never")
	s.IntRange("snapshot_chunk_size", c.SnapshotChunkSize, 1, maxChunk)
	s.IntRange("snapshot_parallelism", c.SnapshotParallel, 1, MaxSnapshotParallelism)
	s.OneOf("flavor", c.Flavor, "auto", "mysql", "mariadb")
	checkPatterns(s, "unique_key_tables", c.UniqueKeyTables)
	s.CheckOnTableError("on_table_error", c.OnTableError)
	c.checkServerID(s)
}

// Prepare registers the connector's TLS settings with the MySQL driver and
// names them in its DSN (connector.Preparer).
func (c *Config) Prepare() error { return dbconn.ApplyTLS(c.Connector, &c.tlsParam) }

// TablePatterns returns the tables the source captures, for the sinks that
// replicate it (sink.TableSource).
func (c *Config) TablePatterns() []string { return c.Tables }

// skipDDLRe is "binlog-file.NNNNNN:position".
var skipDDLRe = regexp.MustCompile(`^[^\s:]+\.[0-9]+:[0-9]+$`)

// checkPatterns checks the db.table patterns of the list at key.
func checkPatterns(s *config.Scope, key string, patterns []string) {
	for i, t := range patterns {
		if k := fmt.Sprintf("%s[%d]", key, i); !s.Skip(k) {
			if msg := checkPattern(t); msg != "" {
				s.Add(k, "%s %s", s.Show(k, t), msg)
			}
		}
	}
}

// checkPattern returns what is wrong with a tables pattern, or "".
func checkPattern(p string) string {
	db, table, ok := strings.Cut(p, ".")
	switch {
	case !ok:
		return `has no dot; write db.table, e.g. "shop.*" or "shop.orders"`
	case strings.Contains(table, "."):
		return `has more than one dot; write db.table with a single dot (globs are * and ?, not regular expressions)`
	case db == "" || table == "":
		return `has an empty database or table part; use * to mean all`
	}
	for _, part := range []string{db, table} {
		if _, err := path.Match(part, ""); err != nil {
			return fmt.Sprintf("is not a valid pattern (%v); the globs are * ? [abc] [a-z], and \\ escapes", err)
		}
	}
	return ""
}

// checkServerID reports a server_id that an earlier mysql-source of the
// file, reading the same MySQL server, uses too: the server would
// disconnect one whenever the other connects.
func (c *Config) checkServerID(s *config.Scope) {
	addr := c.readerAddr(s)
	if addr == "" {
		return
	}
	for j := range s.Index() {
		o := ConfigOf(&s.File().Connectors[j])
		if o == nil || o.ServerID != c.ServerID || o.readerAddr(s.At(j)) != addr {
			continue
		}
		s.Add("server_id", "%d is also the server_id of connectors[%d] (%s), which reads the same MySQL server; "+
			"each binlog reader of a server needs its own server_id", c.ServerID, j, o.Name)
		return
	}
}

// readerAddr returns the host:port the binlog reader connects to, or ""
// when the server_id or the DSN is not usable (reported elsewhere).
func (c *Config) readerAddr(s *config.Scope) string {
	if c.ServerID == 0 || s.Skip("") || s.Skip("dsn") || s.Skip("server_id") {
		return ""
	}
	cfg, _ := dbconn.ParseDSN(c.DSN)
	if cfg == nil || cfg.Net != "tcp" {
		return ""
	}
	return cfg.Addr
}
