package config

// Connector types. A Connector's Type is always one of these after Load.
const (
	TypeMySQLSource = "mysql-source"
	TypeMySQLSink   = "mysql-sink"
)

// Config is one sluice config file: a pipeline name, how to reach Kafka, the
// admin HTTP server, and the connectors that move data through Kafka.
// Load returns it with defaults applied and every rule checked.
type Config struct {
	Name       string      // names topics, consumer groups and metric labels; ^[A-Za-z0-9_-]+$
	Kafka      Kafka       // the brokers, or the embedded broker when there are none
	Admin      Admin       // the admin HTTP server (metrics, health)
	Connectors []Connector // at least one, names unique
	Verify     *Verify     // verify settings of every sink (`verify`); non-nil after ApplyDefaults
	Path       string      // the file it was loaded from; not a YAML key

	meta *meta // where each key was in the file; nil for a Config built in code
}

// Kafka says how to reach Kafka and how sluice creates its topics.
type Kafka struct {
	Brokers           []string // "host:port" bootstrap brokers; empty: run the embedded broker
	Embedded          Embedded // the embedded broker, used when Brokers is empty and by `sluice broker`
	Partitions        int      // partitions of each table topic; default 3
	ReplicationFactor int      // replication factor of new topics; 0 (default) means min(3, brokers)
	MaxMessageBytes   int      // largest record sluice produces; default 1048576
	Compression       string   // codec of produced record batches, one of Compressions; default DefaultCompression
	TLS               *TLS     // TLS to the brokers (kafka.tls); nil: plaintext
	SASL              *SASL    // SASL credential for the brokers (kafka.sasl); nil: none
}

// Compressions lists the kafka.compression codecs.
var Compressions = []string{"none", "snappy", "lz4", "zstd", "gzip"}

// Embedded configures the in-process Kafka-protocol broker.
type Embedded struct {
	Listen     string     // host:port to listen on; default 127.0.0.1:9092
	DataDir    string     // log directory; relative to the config file's directory after Load
	SyncWrites *bool      // fsync every produce; default true
	TLS        *ServerTLS // TLS listener (kafka.embedded.tls); nil: plaintext
	Users      []SASL     // SASL users, all superusers (kafka.embedded.users); empty: no authentication
}

// Admin configures the admin HTTP server.
type Admin struct {
	Listen string     // host:port to listen on; default 127.0.0.1:9187
	TLS    *ServerTLS // serve HTTPS (admin.tls); nil: HTTP
	Token  string     // bearer token of state-changing endpoints (admin.token); empty: they answer 401. A secret
}

// Connector is one entry of the connectors list. Fields below the "mysql-source
// only" and "mysql-sink only" marks are zero for the other type: Load rejects
// a key of the other type.
type Connector struct {
	Name string // unique within the file; ^[A-Za-z0-9_-]+$
	Type string // TypeMySQLSource or TypeMySQLSink
	DSN  string // go-sql-driver/mysql DSN, ${VAR} expanded; log it only through MaskDSN
	TLS  TLS    // TLS of every connection to the server (tls); Mode defaults to preferred

	tlsParam string // what ApplyMySQLTLS appended to DSN, "" before

	// mysql-source only:
	ServerID          uint32   // replication server id of the binlog reader, unique on the source server
	Tables            []string // "db.table" patterns; either part may use path.Match globs
	Snapshot          string   // "initial" (copy existing rows first), "when_needed" (also when the position was purged) or "never"
	SnapshotChunkSize int      // rows per snapshot query
	SnapshotParallel  int      // tables copied at once by the initial snapshot (snapshot_parallelism)
	Flavor            string   // "auto", "mysql" or "mariadb"
	SkipDDL           []string // "file:pos" of DDL statements the reader passes over (skip_ddl)
	UniqueKeyTables   []string // "db.table" patterns of tables without a primary key keyed by a unique NOT NULL key (unique_key_tables)

	// mysql-sink only:
	Source       string     // name of the mysql-source connector whose changes this sink applies
	BatchRows    int        // most rows per replica commit
	BatchBytes   int        // most message bytes per replica commit (batch_bytes)
	Workers      int        // replica connections applying one batch at once, split by key (workers)
	CheckpointDB string     // database of the sink's checkpoint table on the replica
	Routes       []Route    // source db.table to replica db.table, in file order (routes)
	CreateTables *bool      // create missing databases and tables on the replica
	Verify       *Verify    // the top-level verify merged with this sink's own; non-nil after ApplyDefaults
	Errors       SinkErrors // what to do with a message the sink cannot apply (errors)
	Retry        Retry      // bounded retries of a failing replica (retry)

	Line int // YAML line where this connector starts; not a key (0 when built in code)
}

// Connector returns the connector called name, or nil if there is none.
func (c *Config) Connector(name string) *Connector {
	for i := range c.Connectors {
		if c.Connectors[i].Name == name {
			return &c.Connectors[i]
		}
	}
	return nil
}

// Embedded reports whether sluice runs its own broker: Kafka.Brokers is empty.
func (c *Config) Embedded() bool { return len(c.Kafka.Brokers) == 0 }

// Sources returns the mysql-source connectors in file order. The pointers
// point into c.Connectors.
func (c *Config) Sources() []*Connector { return c.ofType(TypeMySQLSource) }

// Sinks returns the mysql-sink connectors in file order. The pointers point
// into c.Connectors.
func (c *Config) Sinks() []*Connector { return c.ofType(TypeMySQLSink) }

func (c *Config) ofType(typ string) []*Connector {
	var out []*Connector
	for i := range c.Connectors {
		if c.Connectors[i].Type == typ {
			out = append(out, &c.Connectors[i])
		}
	}
	return out
}

// IsSource reports whether c reads a MySQL binlog (type mysql-source).
func (c *Connector) IsSource() bool { return c.Type == TypeMySQLSource }

// IsSink reports whether c applies changes to a replica (type mysql-sink).
func (c *Connector) IsSink() bool { return c.Type == TypeMySQLSink }
