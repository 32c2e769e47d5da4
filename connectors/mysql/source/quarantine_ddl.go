package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// Quarantine for a DDL statement sluice can neither parse (or apply) nor
// read back from the server (the reader is behind it): the tables the
// statement names, read from its text (catalog.StatementTables), are
// quarantined, and the statement goes neither to the schema history nor
// to the sinks. Every later DDL that names such a table is held back the
// same way, and quarantines the other tables it names: what it did is
// read from the server too.
//
// The way back: the table's definition is read from the server between two
// identical ends of binlog E (serverDef). When the reader reaches E with no
// DDL read in between, that definition is in force there: it goes to the
// schema history, a DDL marker makes the sinks drop the replica table and
// create it again from it (event.DDL.Recreate), and the table is copied
// again (resync) and leaves quarantine. A caught-up reader does this at
// once; a reader behind a busy server at the latest when it reaches an end
// of binlog read with no DDL after it. A table the server no longer has is
// dropped on the replicas and leaves quarantine.

// Kinds of quarantine on the source (connector.QuarantinedTable.Kind),
// besides kindCascadingFK.
const (
	kindDDL         = "ddl"
	kindUnsupported = "unsupported_column"
)

// serverDef is a quarantined table's definition as the server had it when
// its end of binlog was at; def is nil when it had no such table.
type serverDef struct {
	def   *event.TableDef
	at    event.Position
	stale bool // a DDL was read at or after at
}

// quarantineDDL quarantines the selected tables DDL q (at where) names,
// after it could neither be applied nor read from the server (cause). It
// returns stop when no selected table can be named, or quarantine is off.
func (st *streamer) quarantineDDL(where, schema, q string, cause, stop error) error {
	s := st.s
	names := s.namedTables(q, schema)
	if len(names) == 0 || !s.canQuarantine() {
		return stop
	}
	for _, name := range names {
		reason := fmt.Sprintf("DDL %.200q: %v", q, cause)
		fix := "none needed: the table's definition is read from the server once the reader catches up, the replica table is created " +
			"again from it and copied; or add skip_ddl: [" + where + "] if the statement changed nothing the replicas need"
		if err := s.quarantine(name, kindDDL, reason, fix, where, stop); err != nil {
			return err
		}
	}
	return nil
}

// holdDDL runs before every DDL: it marks the definitions read ahead as
// stale, and holds back a statement that names a table quarantined for a
// DDL (reporting true), quarantining the other tables it names.
func (st *streamer) holdDDL(h *replication.EventHeader, schema, q string) (bool, error) {
	s := st.s
	here := event.Position{File: st.file, Pos: uint64(st.eventStart(h))}
	for _, r := range s.quar.read {
		r.stale = r.stale || reached(here, r.at)
	}
	names := s.namedTables(q, schema)
	if catalog.ByNameOnly(q) {
		return false, nil // RENAME and DROP run by name: the quarantine follows (renamed) or ends (dropped)
	}
	held := false
	for _, name := range names {
		if qt := s.quar.tables[name]; qt != nil && qt.Kind == kindDDL && !qt.Resyncing {
			held = true
		}
	}
	if !held {
		return false, nil
	}
	where := st.where(h)
	for _, name := range names {
		reason := fmt.Sprintf("DDL %.200q names a table quarantined for its DDL; it is read from the server with it", q)
		fix := "none needed: it is read from the server once the reader catches up"
		if err := s.quarantine(name, kindDDL, reason, fix, where, nil); err != nil {
			return true, err
		}
	}
	s.log.Warn("DDL of a table quarantined for its DDL held back: neither the schema history nor the replicas apply it; "+
		"the table's definition is read from the server when it leaves quarantine", "position", where, "statement", q, "tables", names)
	return true, nil
}

// namedTables returns the selected tables DDL q names.
func (s *Source) namedTables(q, schema string) []string {
	var out []string
	for _, name := range catalog.StatementTables(q, schema) {
		db, t, _ := strings.Cut(name, ".")
		if s.filter.Match(db, t) && !catalog.IsShadow(name) {
			out = append(out, name)
		}
	}
	return out
}

// readBack moves a table quarantined for a DDL towards its way out: it
// reads the table's definition from the server, and once the reader has
// reached the end of binlog it was read at, reinstates it.
func (st *streamer) readBack(ctx context.Context, name string) error {
	s := st.s
	r := s.quar.read[name]
	if r == nil || r.stale {
		delete(s.quar.read, name)
		var err error
		if r, err = s.readAtEnd(ctx, name); err != nil || r == nil {
			if err != nil {
				s.log.Warn("cannot read the definition of a quarantined table from the server; trying again", "table", name, "err", err)
			}
			return nil
		}
		if s.quar.read == nil {
			s.quar.read = map[string]*serverDef{}
		}
		s.quar.read[name] = r
	}
	if !reached(s.pub.Committed, r.at) {
		return nil
	}
	delete(s.quar.read, name)
	return st.reinstate(ctx, name, r)
}

// readAtEnd reads table name from the server between two identical ends
// of binlog; nil when the binlog moved meanwhile.
func (s *Source) readAtEnd(ctx context.Context, name string) (*serverDef, error) {
	p1, err := masterPosition(ctx, s.db, s.info.Flavor)
	if err != nil {
		return nil, err
	}
	db, t, _ := strings.Cut(name, ".")
	r := &serverDef{at: p1}
	if create := showCreate(ctx, s.db, db, t); create != "" { // stream_fallback.go; "" when absent
		if r.def, err = catalog.LoadTable(ctx, s.db, db, t); err != nil {
			return nil, err
		}
	}
	p2, err := masterPosition(ctx, s.db, s.info.Flavor)
	if err != nil || p1.File != p2.File || p1.Pos != p2.Pos {
		return nil, err
	}
	return r, nil
}

// reinstate puts the definition read from the server in force at the
// reader's position, between two transactions: schema history, a DDL
// marker that drops and re-creates the replica table, then a copy of the
// table (resync). A table the server does not have is dropped.
func (st *streamer) reinstate(ctx context.Context, name string, r *serverDef) error {
	s := st.s
	at := s.pub.Committed
	seq, err := s.snapSeq(ctx, at) // after every transaction before at, before every one after
	if err != nil {
		return err
	}
	db, t, _ := strings.Cut(name, ".")
	drop := "DROP TABLE IF EXISTS " + dbconn.QuoteTable(db, t)
	d := &event.DDL{Statements: []string{drop}, Dropped: []string{name}}
	ch := &catalog.Change{}
	stmt := drop
	if r.def == nil {
		delete(s.tables, name)
		ch.Dropped = []string{name}
	} else {
		s.tables[name] = r.def
		ch.Changed = []*event.TableDef{r.def}
		d.Tables, d.Recreate = []event.TableDef{*r.def}, []string{name}
		stmt += ";\n" + r.def.CreateSQL
	}
	if err := s.publishDDL(ctx, seq, at, db, stmt, ch); err != nil {
		return fmt.Errorf("quarantined table %s: record its definition from the server in the schema history: %w", name, err)
	}
	s.pub.Begin("quarantine:"+string(seq), seq, false)
	s.pub.SetDDL(d)
	if err := s.pub.Commit(at, clock.Now().UnixMilli()); err != nil {
		return err
	}
	if r.def == nil {
		s.unquarantine(name)
		s.log.Info("table quarantined for its DDL no longer exists on the server: dropped on the replicas, quarantine ended", "table", name, "position", at.String())
	} else if err := unsupportedColumn(r.def); err != nil {
		// Read back, the table has a column sluice cannot convert: its
		// quarantine goes on for that (quarantine.go), not for the DDL.
		q := s.quar.tables[name]
		q.Kind, q.Reason, q.Fix = kindUnsupported, err.Error(), fixUnsupported
		s.log.Error("table quarantined for its DDL, read back from the server: a column's type is not supported; it stays quarantined for that",
			"table", name, "reason", q.Reason, "fix", q.Fix)
		s.showQuarantine()
	} else {
		s.resync(name, "its definition was read from the server as of "+r.at.String()+"; the replicas create the table again from it")
	}
	return st.recordDDL(ctx) // stream.go: the definition and the quarantine change together
}

// renamedIn reads the definition of table name, renamed into the selection
// from outside it by the DDL at h, from the server when the reader is
// caught up (the statement is the server's last event, before and after
// the read), so that the server's table is the one the statement made.
// Behind, the server's may be a later one (altered, renamed or dropped
// since: found by the differential fuzzer), so the table is quarantined
// for its DDL instead, its definition read back once the reader catches up
// and the table copied then; it returns nil then. Without quarantine it
// reads the server's table as of now.
func (st *streamer) renamedIn(ctx context.Context, h *replication.EventHeader, name, where string) (*event.TableDef, error) {
	s := st.s
	db, t, _ := strings.Cut(name, ".")
	if !s.canQuarantine() {
		return catalog.LoadTable(ctx, s.db, db, t)
	}
	if st.atEnd(ctx, h) == nil { // stream_fallback.go
		if def, err := catalog.LoadTable(ctx, s.db, db, t); err == nil && st.atEnd(ctx, h) == nil {
			return def, nil
		}
	}
	reason := "renamed into tables: from outside while the reader was behind the server: its definition at this point of the binlog is not known"
	fix := "none needed: the table's definition is read from the server once the reader catches up, the replica table is created from it and copied"
	return nil, s.quarantine(name, kindDDL, reason, fix, where, nil)
}
