package config

import (
	"sort"
)

// Role is the side of Kafka a connector type is on.
type Role string

// Roles of connector types.
const (
	// RoleSource reads a database's changes and publishes them to Kafka.
	RoleSource Role = "source"
	// RoleSink applies the changes of a source connector, which its config
	// names, to another database.
	RoleSink Role = "sink"
)

// Kind is what Load needs to know of a connector type: its role, and how
// to make the config of the keys only it has. A registry of connector types
// (connector.Registry) hands Load one Kind per type name.
type Kind struct {
	Role Role
	// Spec returns a new, empty config of the type for connector c; after
	// Load it is c.Spec, with the type's keys decoded, defaulted and
	// validated. It may keep c, to read name, dsn and tls. It must not do
	// anything else: Load also calls it to learn the keys of the types a
	// connector is not of.
	Spec func(c *Connector) Spec
}

// Kinds maps each connector type, as written in type:, to its Kind.
type Kinds map[string]Kind

// Spec is a connector type's own part of a connectors[] entry: every key
// but name, type, dsn and tls. Load calls Keys to decode the entry strictly
// (unknown Keys, and keys of other types, are errors), then Defaults, then
// Validate, and reports every problem with its key path and line.
type Spec interface {
	// Keys returns the keys of the type beyond name, type, dsn and tls,
	// each with a Handler, made by d, that decodes the value into the spec.
	// It must only build the handlers: Load also calls it on specs of other
	// types, to name their keys in messages.
	Keys(d *Decoder) Keys
	// Defaults fills in the keys the file left out (s.Unset says which).
	// It runs after the file-level defaults, so the top-level verify is
	// complete.
	Defaults(s *Scope)
	// Validate reports every problem of the spec to s, keys relative to the
	// connector ("server_id", "tables[2]"). It may check references to the
	// other connectors of s.File(). Values that failed to decode are
	// reported already: check s.Skip(key) before reporting a key.
	Validate(s *Scope)
}

// names returns the type names in the order messages list them: sources
// first, then sinks, each by name. With role set, only types of that role.
func (k Kinds) names(role Role) []string {
	var out []string
	for name, kind := range k {
		if role == "" || kind.Role == role {
			out = append(out, name)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := k[out[i]].Role == RoleSource, k[out[j]].Role == RoleSource
		if ri != rj {
			return ri
		}
		return out[i] < out[j]
	})
	return out
}

// typesOf names the connector types of role, as "mysql-source" or "a or
// b", for messages; role itself when c knows no types (built in code).
func (c *Config) typesOf(role Role) string {
	if names := c.kinds.names(role); len(names) > 0 {
		return orList(names)
	}
	return string(role)
}

// keysOf returns the keys of the type's spec beyond the common ones.
func (d *Decoder) keysOf(kind Kind) Keys {
	return kind.Spec(&Connector{}).Keys(d)
}

// foreignKeys returns, for every key of another type than typ that known
// lacks, the message that says where it belongs.
func (d *Decoder) foreignKeys(typ string, known Keys) map[string]string {
	owners := map[string][]string{}
	for _, name := range d.kinds.names("") {
		if name == typ {
			continue
		}
		for k := range d.keysOf(d.kinds[name]) {
			if _, ok := known[k]; !ok {
				owners[k] = append(owners[k], name)
			}
		}
	}
	out := make(map[string]string, len(owners))
	for k, types := range owners {
		what := "type " + types[0]
		if len(types) > 1 {
			what = "types " + orList(types)
		}
		out[k] = "only valid for " + what + ", and this connector is a " + typ + "; remove it"
	}
	return out
}
