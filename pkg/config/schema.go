package config

import (
	"fmt"
	"maps"
	"math"

	"gopkg.in/yaml.v3"
)

// Limits shared by decoding and validation. The upper bounds are the widths
// of the Kafka protocol fields the values end up in.
const (
	maxNameLen        = 64 // keeps "_sluice.<name>.<connector>.transaction" under Kafka's 249
	maxPartitions     = math.MaxInt32
	maxReplication    = math.MaxInt16
	minMessageBytes   = 1024
	maxMessageBytes   = math.MaxInt32
	maxChunkOrBatch   = math.MaxInt32
	minBatchBytes     = 1024
	maxServerID       = math.MaxUint32
	maxIdentifierLen  = 64 // MySQL database names
	connectorsExample = "a mysql-source, and mysql-sink connectors that replicate it"
)

// root decodes the top-level mapping.
func (d *decoder) root(n *yaml.Node, c *Config) {
	d.m.lines[""] = n.Line
	if resolve(n).Kind != yaml.MappingNode {
		d.r.addAt("", n.Line, "the file must be a mapping with the keys name, kafka, admin and connectors, got %s", describe(n))
		d.m.bad[""] = true
		return
	}
	d.mapping("", n, keys{
		"name":       d.strInto(&c.Name),
		"kafka":      func(p string, v *yaml.Node) { d.kafka(p, v, &c.Kafka) },
		"admin":      func(p string, v *yaml.Node) { d.adminKeys(p, v, &c.Admin) },
		"connectors": func(p string, v *yaml.Node) { c.Connectors = d.connectors(p, v) },
		"verify":     func(p string, v *yaml.Node) { d.verify(p, v, &c.Verify) },
	}, nil)
}

func (d *decoder) kafka(path string, n *yaml.Node, k *Kafka) {
	e := &k.Embedded
	d.mapping(path, n, keys{
		"brokers": d.strsInto(&k.Brokers),
		"embedded": func(p string, v *yaml.Node) {
			d.mapping(p, v, keys{
				"listen":      d.strInto(&e.Listen),
				"data_dir":    d.strInto(&e.DataDir),
				"sync_writes": d.boolInto(&e.SyncWrites),
				"tls":         d.serverTLSInto(&e.TLS, true),
				"users":       d.usersInto(&e.Users),
			}, nil)
		},
		"partitions":         d.intInto(&k.Partitions, 1, maxPartitions),
		"replication_factor": d.intInto(&k.ReplicationFactor, 0, maxReplication),
		"max_message_bytes":  d.intInto(&k.MaxMessageBytes, minMessageBytes, maxMessageBytes),
		"compression":        d.strInto(&k.Compression),
		"tls":                d.clientTLSInto(&k.TLS),
		"sasl":               d.saslInto(&k.SASL),
	}, nil)
}

// connectors decodes the connectors list. It keeps one entry per list element,
// even a broken one, so that indexes in key paths match the file.
func (d *decoder) connectors(path string, n *yaml.Node) []Connector {
	r := resolve(n)
	if r.Kind != yaml.SequenceNode {
		d.wrongType(path, n, "a list of connectors (each starting with - name:)")
		return nil
	}
	out := make([]Connector, len(r.Content))
	for i, e := range r.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		d.m.lines[ep] = e.Line
		out[i].Line = e.Line
		d.connector(ep, e, &out[i])
	}
	return out
}

// connector decodes one connector. It reads type first, so that a key of the
// other connector type can be reported as such rather than as unknown.
func (d *decoder) connector(path string, n *yaml.Node, c *Connector) {
	r := resolve(n)
	if r.Kind != yaml.MappingNode {
		d.wrongType(path, n, "a connector mapping (name, type, dsn, ...)")
		return
	}
	ps := d.pairs(path, r, 0)
	for _, p := range ps {
		if p.key == "type" && !isNull(p.val) {
			d.m.lines[join(path, "type")] = p.line
			c.Type, _ = d.str(join(path, "type"), p.val)
		}
	}
	known := keys{
		"name": d.strInto(&c.Name),
		"type": func(string, *yaml.Node) {}, // decoded above
		"dsn":  d.strInto(&c.DSN),
		"tls":  func(p string, v *yaml.Node) { d.tlsKeys(p, v, &c.TLS, true) },
	}
	source := keys{
		"server_id": func(p string, v *yaml.Node) {
			if id, ok := d.integer(p, v, 1, maxServerID); ok {
				c.ServerID = uint32(id)
			}
		},
		"tables":               d.strsInto(&c.Tables),
		"snapshot":             d.strInto(&c.Snapshot),
		"snapshot_chunk_size":  d.intInto(&c.SnapshotChunkSize, 1, maxChunkOrBatch),
		"snapshot_parallelism": d.intInto(&c.SnapshotParallel, 1, MaxSnapshotParallelism),
		"skip_ddl":             d.strsInto(&c.SkipDDL),
		"unique_key_tables":    d.strsInto(&c.UniqueKeyTables),
		"flavor":               d.strInto(&c.Flavor),
	}
	sink := keys{
		"source":        d.strInto(&c.Source),
		"batch_rows":    d.intInto(&c.BatchRows, 1, maxChunkOrBatch),
		"batch_bytes":   d.intInto(&c.BatchBytes, minBatchBytes, maxChunkOrBatch),
		"workers":       d.intInto(&c.Workers, 1, MaxSinkWorkers),
		"checkpoint_db": d.strInto(&c.CheckpointDB),
		"create_tables": d.boolInto(&c.CreateTables),
		"verify":        func(p string, v *yaml.Node) { d.verify(p, v, &c.Verify) },
		"routes":        func(p string, v *yaml.Node) { d.routes(p, v, &c.Routes) },
		"errors":        func(p string, v *yaml.Node) { d.sinkErrors(p, v, &c.Errors) },
		"retry":         func(p string, v *yaml.Node) { d.retry(p, v, &c.Retry) },
	}
	var foreign map[string]string
	switch c.Type {
	case TypeMySQLSource:
		foreign = foreignKeys(sink, TypeMySQLSink, TypeMySQLSource)
		maps.Copy(known, source)
	case TypeMySQLSink:
		foreign = foreignKeys(source, TypeMySQLSource, TypeMySQLSink)
		maps.Copy(known, sink)
	default: // unknown type, reported by validation: accept the keys of both
		maps.Copy(known, source)
		maps.Copy(known, sink)
	}
	d.fields(path, ps, known, foreign)
}

// foreignKeys returns, for each key of the other connector type, the message
// that says it does not belong.
func foreignKeys(other keys, otherType, thisType string) map[string]string {
	out := make(map[string]string, len(other))
	for k := range other {
		out[k] = fmt.Sprintf("only valid for type %s, and this connector is a %s; remove it", otherType, thisType)
	}
	return out
}
