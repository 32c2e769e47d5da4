package config

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// connectors checks the connectors list: each connector on its own, then
// what relates them (unique names, sink sources, binlog server ids).
func (v *validator) connectors(c *Config) {
	if v.skip("connectors") {
		return
	}
	if len(c.Connectors) == 0 {
		v.missing("connectors", "a list of connectors: "+connectorsExample)
		return
	}
	names := map[string]int{}
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		p := fmt.Sprintf("connectors[%d]", i)
		if v.skip(p) {
			continue
		}
		v.name(p+".name", cn.Name, "the connector's name")
		if j, dup := names[cn.Name]; dup && cn.Name != "" {
			v.r.add(p+".name", "%s is also the name of connectors[%d] (line %d); connector names must be unique, rename one",
				v.show(p+".name", cn.Name), j, c.Connectors[j].Line)
		} else if cn.Name != "" {
			names[cn.Name] = i
		}
		v.connector(p, c, cn)
	}
	v.serverIDs(c)
}

// connector checks one connector. Keys that belong to the other connector
// type are checked here only for a Config built in code; the decoder rejects
// them in a file.
func (v *validator) connector(p string, c *Config, cn *Connector) {
	typed := v.connType(p+".type", cn)
	v.dsn(p+".dsn", cn)
	v.ddlKeys(p, cn)
	switch {
	case !typed:
	case cn.IsSource():
		v.source(p, cn)
		v.foreign(p, cn, TypeMySQLSink, map[string]bool{
			"source": cn.Source != "", "batch_rows": cn.BatchRows != 0, "batch_bytes": cn.BatchBytes != 0, "workers": cn.Workers != 0,
			"checkpoint_db": cn.CheckpointDB != "", "create_tables": cn.CreateTables != nil, "routes": cn.Routes != nil,
			"verify": cn.Verify != nil, "errors": cn.Errors != (SinkErrors{}), "retry": cn.Retry != (Retry{}),
		})
	default:
		v.sink(p, c, cn)
		v.foreign(p, cn, TypeMySQLSource, map[string]bool{
			"server_id": cn.ServerID != 0, "tables": cn.Tables != nil, "snapshot": cn.Snapshot != "",
			"snapshot_chunk_size": cn.SnapshotChunkSize != 0, "flavor": cn.Flavor != "", "skip_ddl": cn.SkipDDL != nil,
			"snapshot_parallelism": cn.SnapshotParallel != 0, "unique_key_tables": cn.UniqueKeyTables != nil,
		})
	}
}

// connType checks the type and reports whether it is a known one.
func (v *validator) connType(t string, cn *Connector) bool {
	switch {
	case v.skip(t):
		return false
	case cn.Type == "":
		v.missing(t, "the connector type: "+TypeMySQLSource+" or "+TypeMySQLSink)
		return false
	case !cn.IsSource() && !cn.IsSink():
		msg := fmt.Sprintf("unknown connector type %s; use %s or %s", v.show(t, cn.Type), TypeMySQLSource, TypeMySQLSink)
		if g := suggest(cn.Type, []string{TypeMySQLSource, TypeMySQLSink}); g != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", g)
		}
		v.r.add(t, "%s", msg)
		return false
	}
	return true
}

// foreign reports the set fields that belong to connector type other.
func (v *validator) foreign(p string, cn *Connector, other string, set map[string]bool) {
	for _, k := range sortedSet(set) {
		if kp := p + "." + k; !v.skip(kp) {
			v.r.add(kp, "only valid for type %s, and this connector is a %s; remove it", other, cn.Type)
		}
	}
}

func sortedSet(set map[string]bool) []string {
	var out []string
	for k, on := range set {
		if on {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// dsn checks that the DSN parses, and that a source's is TCP, which the
// binlog reader needs. Messages show the DSN only through MaskDSN.
func (v *validator) dsn(p string, cn *Connector) {
	if v.skip(p) {
		return
	}
	if cn.DSN == "" {
		v.missing(p, `the MySQL DSN, e.g. "user:${PASSWORD}@tcp(host:3306)/"`)
		return
	}
	cfg, msg := parseDSN(cn.DSN)
	if cfg == nil {
		v.r.add(p, "invalid DSN %q: %s; the form is user:password@tcp(host:port)/[?param=value]",
			MaskDSN(cn.DSN), msg)
		return
	}
	if cn.IsSource() && cfg.Net != "tcp" {
		// cfg.Net is not quoted: in a DSN the driver splits unexpectedly it
		// may hold part of the password.
		v.r.add(p, "DSN %q does not connect over tcp(host:port); a mysql-source reads the binlog over TCP",
			MaskDSN(cn.DSN))
	}
}

func (v *validator) source(p string, cn *Connector) {
	if k := p + ".server_id"; cn.ServerID == 0 && !v.skip(k) {
		v.missing(k, fmt.Sprintf("a number from 1 to %d that no other replica or binlog reader of this MySQL server uses",
			uint32(maxServerID)))
	}
	switch k := p + ".tables"; {
	case v.skip(k):
	case len(cn.Tables) == 0:
		v.missing(k, `the tables to capture as db.table patterns, e.g. ["shop.*"]`)
	default:
		for i, t := range cn.Tables {
			if tp := fmt.Sprintf("%s[%d]", k, i); !v.skip(tp) {
				if msg := checkPattern(t); msg != "" {
					v.r.add(tp, "%s %s", v.show(tp, t), msg)
				}
			}
		}
	}
	v.oneOf(p+".snapshot", cn.Snapshot, "initial", "when_needed", "never")
	v.intRange(p+".snapshot_chunk_size", cn.SnapshotChunkSize, 1, maxChunkOrBatch)
	v.intRange(p+".snapshot_parallelism", cn.SnapshotParallel, 1, MaxSnapshotParallelism)
	v.oneOf(p+".flavor", cn.Flavor, "auto", "mysql", "mariadb")
	for i, t := range cn.UniqueKeyTables {
		if tp := fmt.Sprintf("%s.unique_key_tables[%d]", p, i); !v.skip(tp) {
			if msg := checkPattern(t); msg != "" {
				v.r.add(tp, "%s %s", v.show(tp, t), msg)
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

func (v *validator) sink(p string, c *Config, cn *Connector) {
	v.sinkSource(p+".source", c, cn)
	v.verify(p+".verify", cn.Verify)
	v.sinkErrors(p, cn)
	v.intRange(p+".batch_rows", cn.BatchRows, 1, maxChunkOrBatch)
	v.intRange(p+".batch_bytes", cn.BatchBytes, minBatchBytes, maxChunkOrBatch)
	v.intRange(p+".workers", cn.Workers, 1, MaxSinkWorkers)
	switch k := p + ".checkpoint_db"; {
	case v.skip(k):
	case cn.CheckpointDB == "":
		v.missing(k, "a database name on the replica, or remove the key for "+DefaultCheckpointDB)
	case len(cn.CheckpointDB) > maxIdentifierLen || strings.HasSuffix(cn.CheckpointDB, " ") ||
		strings.ContainsAny(cn.CheckpointDB, "/\\.\x00"):
		v.r.add(k, "%s is not a usable database name; use at most %d characters, no / \\ . and no trailing space",
			v.show(k, cn.CheckpointDB), maxIdentifierLen)
	}
}

// sinkSource checks that a sink's source names a mysql-source in the file.
func (v *validator) sinkSource(k string, c *Config, cn *Connector) {
	if v.skip(k) {
		return
	}
	var known []string
	for _, s := range c.Sources() {
		if s.Name != "" {
			known = append(known, s.Name)
		}
	}
	if cn.Source == "" {
		v.missing(k, "the name of the mysql-source connector to replicate ("+knownList(known)+")")
		return
	}
	target := c.Connector(cn.Source)
	switch {
	case target == nil:
		msg := fmt.Sprintf("%s names no mysql-source connector (%s)", v.show(k, cn.Source), knownList(known))
		if g := suggest(cn.Source, known); g != "" {
			msg += fmt.Sprintf("; did you mean %s?", g)
		}
		v.r.add(k, "%s", msg)
	case !target.IsSource():
		v.r.add(k, "%s is a %s connector, not a mysql-source; a sink replicates a mysql-source (%s)",
			v.show(k, cn.Source), target.Type, knownList(known))
	}
}

func knownList(known []string) string {
	if len(known) == 0 {
		return "this file has none yet: add one"
	}
	return "known: " + strings.Join(known, ", ")
}

// serverIDs reports two sources that read the same MySQL server with the same
// server_id: the server would disconnect one whenever the other connects.
func (v *validator) serverIDs(c *Config) {
	type reader struct {
		addr string
		id   uint32
	}
	first := map[reader]int{}
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		p := fmt.Sprintf("connectors[%d]", i)
		if !cn.IsSource() || cn.ServerID == 0 || v.skip(p) || v.skip(p+".dsn") || v.skip(p+".server_id") {
			continue
		}
		cfg, _ := parseDSN(cn.DSN)
		if cfg == nil || cfg.Net != "tcp" {
			continue
		}
		key := reader{cfg.Addr, cn.ServerID}
		if j, dup := first[key]; dup {
			v.r.add(p+".server_id", "%d is also the server_id of connectors[%d] (%s), which reads the same MySQL server; "+
				"each binlog reader of a server needs its own server_id", cn.ServerID, j, c.Connectors[j].Name)
			continue
		}
		first[key] = i
	}
}
