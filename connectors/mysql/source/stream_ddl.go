package source

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// ddl applies a statement of the binlog to the schema history: the tables'
// definitions in memory, the history topic, and, for a statement that
// touched selected tables or databases, a DDL marker that sinks apply as a
// barrier. A statement that cannot be parsed or applied is read from the
// server instead when the reader is caught up (fromServer); otherwise the
// tables it names are quarantined (quarantine_ddl.go), or it stops the
// reader (connector.Fatal) with its position, unless skip_ddl names that
// position.
func (st *streamer) ddl(ctx context.Context, h *replication.EventHeader, schema, q string) error {
	s := st.s
	where := st.where(h)
	if slices.Contains(s.cfg.SkipDDL, where) {
		s.log.Warn("DDL skipped by skip_ddl: neither the schema history nor the replicas apply it", "position", where, "statement", q)
		return nil
	}
	fail := func(what string, err error) error {
		return &connector.Fatal{Err: fmt.Errorf("source %s: binlog %s: %s DDL %q: %w; the reader stops here. "+
			"Fix the cause, or add skip_ddl: [%q] to connector %s to pass over this one statement "+
			"(the schema history and the replicas then miss it)", s.cfg.Name, where, what, q, err, where, s.cfg.Name)}
	}
	if held, err := st.holdDDL(h, schema, q); held || err != nil { // quarantine_ddl.go
		return err
	}
	all, verbatim, err := st.applyOrRead(ctx, h, schema, q)
	if f := (*ddlFailure)(nil); errors.As(err, &f) {
		return st.quarantineDDL(where, schema, q, f, fail(f.what, f.err)) // or stop with it
	}
	if err != nil {
		return err
	}
	if all == nil {
		return nil // a routine, trigger, user or view statement: no table changes
	}
	if len(all.Cascading) > 0 {
		// The cascades' deletes and updates will not be in the binlog:
		// quarantine those tables (or stop) while the server still has such
		// a foreign key.
		found, err := s.cascading(ctx, where, q) // quarantine.go
		if err != nil {
			return err
		}
		if !found {
			s.log.Warn("DDL gave selected tables cascading foreign keys the server no longer has: rows its cascades changed "+
				"before they were made RESTRICT are not in the binlog; copy those tables again to be sure (sluice snapshot --table)",
				"position", where, "statement", q, "foreign_keys", all.Cascading)
		}
	}
	if err := s.refused(all.Refused, where); err != nil { // quarantine.go
		return err
	}
	var loaded []*event.TableDef
	for _, name := range all.LoadNow {
		def, err := st.renamedIn(ctx, h, name, where) // quarantine_ddl.go
		if err != nil {
			return fail("cannot read the definition of a table renamed into tables: for", err)
		}
		if def == nil {
			continue // quarantined until the reader catches up
		}
		s.log.Warn("table renamed into tables: from outside: its definition is read as of now, and it needs a snapshot", "table", name, "position", where)
		s.schema.Tables[name] = def
		s.schema.NeedCopy[name] = true
		all.Changed = append(all.Changed, def)
		loaded = append(loaded, def)
	}
	if len(loaded) > 0 {
		if err := all.RenamedIn(loaded); err != nil { // the replicas create it instead of renaming a table they lack
			return fail("cannot replicate", err)
		}
	}
	// A table a statement made and dropped again (the temporary name of a
	// swap: RENAME a TO tmp, b TO a, tmp TO b) is not recorded as made: a
	// history rebuilt from its records would list it, and copy a table the
	// server never has (found by the differential fuzzer).
	all.Changed = slices.DeleteFunc(all.Changed, func(def *event.TableDef) bool { return s.tables[def.Name()] == nil })
	s.renamed(all.Renamed) // quarantine.go
	s.dropped(droppedOnly(all))
	seq, err := s.seqAt(st.file, uint64(st.txStart), 0)
	if err != nil {
		return err
	}
	if len(all.Changed)+len(all.Dropped)+len(all.Databases) > 0 {
		if err := s.publishDDL(ctx, seq, st.position(uint64(h.LogPos)), schema, q, all); err != nil {
			return fmt.Errorf("binlog %s: record DDL %q in the schema history: %w", where, q, err)
		}
	}
	if !all.Relevant {
		return nil
	}
	if err := st.ensurePubTx(); err != nil {
		return err
	}
	d := all.ForSinks(q, schema)
	d.Verbatim = verbatim
	for i := range d.Tables { // a sink that lacks the database creates it with this
		if t := &d.Tables[i]; t.DBCharset == "" {
			t.DBCharset, t.DBCollation = s.schema.DBCharset(t.DB), s.schema.DBCollation(t.DB)
		}
	}
	s.pub.SetDDL(d)
	s.log.Info("DDL applied to the schema history", "position", where, "statement", q,
		"changed", len(all.Changed), "dropped", len(all.Dropped))
	return nil
}

// ddlFailure is why a DDL could neither be applied nor read from the server.
type ddlFailure struct {
	what string // "cannot parse", "cannot apply"
	err  error
}

func (e *ddlFailure) Error() string { return e.what + ": " + e.err.Error() }

// applyOrRead applies q to the history, or, when sluice cannot parse or
// apply it, reads its result from the server (verbatim: sinks run q as
// written). It returns a nil change for statements that touch no table.
func (st *streamer) applyOrRead(ctx context.Context, h *replication.EventHeader, schema, q string) (*catalog.Change, bool, error) {
	s := st.s
	what, cause := "", error(nil)
	stmts, err := s.schema.ParseSQL(q)
	switch {
	case err != nil && !catalog.LooksLikeTableDDL(q):
		// By its first keyword no table or database change (a routine,
		// trigger or grant the parser does not know): said, not silent.
		s.log.Info("statement not parsed; by its keyword it changes no table or database", "position", st.where(h), "statement", q, "error", err)
		return nil, false, nil
	case err != nil:
		what, cause = "cannot parse", err
	default:
		all := &catalog.Change{}
		for _, stmt := range stmts {
			ch, err := s.schema.Apply(stmt, schema)
			if err != nil {
				what, cause = "cannot apply", err
				break
			}
			all.Merge(ch)
		}
		if cause == nil {
			return all, false, nil
		}
	}
	ch, err := st.fromServer(ctx, h, q)
	if err != nil {
		return nil, false, &ddlFailure{what: what,
			err: fmt.Errorf("%w; reading its result from the server instead failed: %w", cause, err)}
	}
	s.log.Warn("DDL sluice cannot "+what[len("cannot "):]+": the reader is caught up, so its result was read from the server; "+
		"the sinks run it as written", "position", st.where(h), "statement", q, "error", cause,
		"changed", len(ch.Changed), "dropped", len(ch.Dropped))
	return ch, true, nil
}

// checkTableMap compares the column names and kinds a table-map event
// carries (binlog_row_metadata=FULL) with the definition from the schema
// history. Without that metadata there is nothing to compare. A mismatch
// means the history went wrong: decoding would put values in the wrong
// columns, so it is an error naming the table.
func checkTableMap(def *event.TableDef, idx []int, tm *replication.TableMapEvent) error {
	names := tm.ColumnNameString()
	if len(names) == 0 {
		return nil
	}
	if len(names) != len(idx) {
		return fmt.Errorf("table %s: the binlog has %d columns %v, the schema history %d: the history does not match the server; "+
			"stopping instead of decoding rows with the wrong columns", def.Name(), len(names), names, len(idx))
	}
	unsigned := tm.UnsignedMap()
	members := map[int][]string{}
	maps.Copy(members, tm.EnumStrValueMap())
	maps.Copy(members, tm.SetStrValueMap())
	for i, ci := range idx {
		c := &def.Columns[ci]
		if !strings.EqualFold(names[i], c.Name) {
			return fmt.Errorf("table %s: column %d is %q in the binlog but %q in the schema history: the history does not match the server; "+
				"stopping instead of decoding rows with the wrong columns", def.Name(), i+1, names[i], c.Name)
		}
		if tm.IsNumericColumn(i) != isNumericType(c.DataType) {
			return fmt.Errorf("table %s: column %s has binlog type %d, which does not match %q from the schema history; "+
				"stopping instead of decoding rows with the wrong types", def.Name(), c.Name, tm.ColumnType[i], c.ColumnType)
		}
		if u, ok := unsigned[i]; ok && (isIntType(c.DataType) || c.DataType == "decimal") && u != c.Unsigned {
			return fmt.Errorf("table %s: column %s is %s in the binlog but %q in the schema history: the history does not match the server; "+
				"stopping instead of decoding rows with the wrong signedness", def.Name(), c.Name, signWord(u), c.ColumnType)
		}
		if m, ok := members[i]; ok && asciiOnly(m) && asciiOnly(c.Members) && !slices.Equal(m, c.Members) {
			return fmt.Errorf("table %s: column %s has members %q in the binlog but %q in the schema history: the history does not match the server; "+
				"stopping instead of decoding rows with the wrong values", def.Name(), c.Name, m, c.Members)
		}
	}
	return nil
}

func isIntType(dt string) bool {
	switch dt {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return true
	}
	return false
}

func signWord(unsigned bool) string {
	if unsigned {
		return "unsigned"
	}
	return "signed"
}

// asciiOnly reports whether every string is ASCII: members in other
// character sets arrive as the server's bytes, not comparable as text.
func asciiOnly(ss []string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
	}
	return true
}

// isNumericType matches go-mysql's TableMapEvent.IsNumericColumn.
func isNumericType(dt string) bool {
	switch dt {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "bool", "boolean",
		"decimal", "numeric", "dec", "fixed", "float", "double", "real", "double precision", "year":
		return true
	}
	return false
}

// droppedOnly returns the tables a statement dropped, not counting the old
// names of the tables it renamed: their quarantines moved with them
// (renamed), and in a swap (RENAME a TO tmp, b TO a, tmp TO b) the old name
// a is the new name of b, whose quarantine must stay (found by the
// differential fuzzer: it ended, and the rows it held back were lost).
func droppedOnly(ch *catalog.Change) []string {
	moved := map[string]bool{}
	for _, r := range ch.Renamed {
		moved[r[0]] = true
	}
	var out []string
	for _, name := range ch.Dropped {
		if !moved[name] {
			out = append(out, name)
		}
	}
	return out
}
