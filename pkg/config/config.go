package config

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

	meta  *meta // where each key was in the file; nil for a Config built in code
	kinds Kinds // the connector types Load knew; nil for a Config built in code
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

// Connector is one entry of the connectors list: the keys every connector
// has, and in Spec the keys of its type, which the type decodes and
// validates itself (see Kind).
type Connector struct {
	Name string // unique within the file; ^[A-Za-z0-9_-]+$
	Type string // a type of the Kinds given to Load, such as mysql-source
	Role Role   // the role of the type; "" for an unknown type
	DSN  string // the server to connect to, ${VAR} expanded; log it only through MaskDSN
	TLS  TLS    // TLS of every connection to the server (tls); Mode defaults to preferred
	Spec Spec   // the type's own keys (for mysql-source a *source.Config); nil for an unknown type

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

// SpecOf returns c's Spec as a T (a type's config, such as *source.Config),
// or the zero T when c is nil or of another type.
func SpecOf[T Spec](c *Connector) T {
	var spec T
	if c != nil {
		spec, _ = c.Spec.(T)
	}
	return spec
}

// Embedded reports whether sluice runs its own broker: Kafka.Brokers is empty.
func (c *Config) Embedded() bool { return len(c.Kafka.Brokers) == 0 }

// Sources returns the source connectors (RoleSource) in file order. The
// pointers point into c.Connectors.
func (c *Config) Sources() []*Connector { return c.ofRole(RoleSource) }

// Sinks returns the sink connectors (RoleSink) in file order. The pointers
// point into c.Connectors.
func (c *Config) Sinks() []*Connector { return c.ofRole(RoleSink) }

func (c *Config) ofRole(role Role) []*Connector {
	var out []*Connector
	for i := range c.Connectors {
		if c.Connectors[i].Role == role {
			out = append(out, &c.Connectors[i])
		}
	}
	return out
}

// IsSource reports whether c's type is a source (RoleSource).
func (c *Connector) IsSource() bool { return c.Role == RoleSource }

// IsSink reports whether c's type is a sink (RoleSink).
func (c *Connector) IsSink() bool { return c.Role == RoleSink }
