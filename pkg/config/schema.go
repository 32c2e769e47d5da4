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
	maxNameLen      = 64 // keeps "_sluice.<name>.<connector>.transaction" under Kafka's 249
	maxPartitions   = math.MaxInt32
	maxReplication  = math.MaxInt16
	minMessageBytes = 1024
	maxMessageBytes = math.MaxInt32
	maxChunkOrBatch = math.MaxInt32
)

// root decodes the top-level mapping.
func (d *Decoder) root(n *yaml.Node, c *Config) {
	d.m.lines[""] = n.Line
	if resolve(n).Kind != yaml.MappingNode {
		d.r.addAt("", n.Line, "the file must be a mapping with the keys name, kafka, admin and connectors, got %s", describe(n))
		d.m.bad[""] = true
		return
	}
	d.mapping("", n, Keys{
		"name":       d.Str(&c.Name),
		"kafka":      func(p string, v *yaml.Node) { d.kafka(p, v, &c.Kafka) },
		"admin":      func(p string, v *yaml.Node) { d.adminKeys(p, v, &c.Admin) },
		"connectors": func(p string, v *yaml.Node) { c.Connectors = d.connectors(p, v) },
		"verify":     d.Verify(&c.Verify),
	}, nil)
}

func (d *Decoder) kafka(path string, n *yaml.Node, k *Kafka) {
	e := &k.Embedded
	d.mapping(path, n, Keys{
		"brokers": d.Strs(&k.Brokers),
		"embedded": func(p string, v *yaml.Node) {
			d.mapping(p, v, Keys{
				"listen":      d.Str(&e.Listen),
				"data_dir":    d.Str(&e.DataDir),
				"sync_writes": d.Bool(&e.SyncWrites),
				"tls":         d.serverTLSInto(&e.TLS, true),
				"users":       d.usersInto(&e.Users),
			}, nil)
		},
		"partitions":         d.Int(&k.Partitions, 1, maxPartitions),
		"replication_factor": d.Int(&k.ReplicationFactor, 0, maxReplication),
		"max_message_bytes":  d.Int(&k.MaxMessageBytes, minMessageBytes, maxMessageBytes),
		"compression":        d.Str(&k.Compression),
		"tls":                d.clientTLSInto(&k.TLS),
		"sasl":               d.saslInto(&k.SASL),
	}, nil)
}

// connectors decodes the connectors list. It keeps one entry per list element,
// even a broken one, so that indexes in key paths match the file.
func (d *Decoder) connectors(path string, n *yaml.Node) []Connector {
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

// connector decodes one connector. It reads type first, to decode the
// keys of its type into c.Spec and to report a key of another type as such
// rather than as unknown.
func (d *Decoder) connector(path string, n *yaml.Node, c *Connector) {
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
	known := Keys{}
	kind, ok := d.kinds[c.Type]
	if ok {
		c.Role, c.Spec = kind.Role, kind.Spec(c)
		maps.Copy(known, c.Spec.Keys(d))
	} else {
		// An unknown type, reported by validation: accept the keys of
		// every type, decoded into specs that are then dropped.
		for _, name := range d.kinds.names("") {
			for k, h := range d.kinds[name].Spec(c).Keys(d) {
				if _, dup := known[k]; !dup {
					known[k] = h
				}
			}
		}
	}
	maps.Copy(known, Keys{ // the keys of every type, which no type may redefine
		"name": d.Str(&c.Name),
		"type": func(string, *yaml.Node) {}, // decoded above
		"dsn":  d.Str(&c.DSN),
		"tls":  func(p string, v *yaml.Node) { d.tlsKeys(p, v, &c.TLS, true) },
	})
	var foreign map[string]string
	if ok {
		foreign = d.foreignKeys(c.Type, known)
	}
	d.fields(path, ps, known, foreign)
}
