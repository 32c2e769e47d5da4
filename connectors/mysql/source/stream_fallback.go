package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// errNotCaughtUp says the server's tables may already be past a DDL.
var errNotCaughtUp = errors.New("the reader is behind the server, whose tables may have changed since")

// atEnd returns nil when the event h is the last the server has written
// (the reader is caught up, so information_schema shows exactly what the
// binlog says up to h), else an errNotCaughtUp naming where the server is,
// or why its position could not be read.
func (st *streamer) atEnd(ctx context.Context, h *replication.EventHeader) error {
	p, err := masterPosition(ctx, st.s.db, st.s.info.Flavor)
	if err != nil {
		return err
	}
	if p.File != st.file || p.Pos != uint64(h.LogPos) {
		return fmt.Errorf("%w (server at %s)", errNotCaughtUp, p)
	}
	return nil
}

// fromServer is the way out for a DDL sluice cannot parse or apply: when
// the statement is the last event the server has written (the reader is
// caught up, so information_schema shows exactly its result), the selected
// tables are read again from the server and compared with the history.
// The end of binlog is read before and after, so a DDL that slips in
// between is noticed. Shadow tables of online schema changes keep their
// history. It fails with errNotCaughtUp when the reader is behind.
func (st *streamer) fromServer(ctx context.Context, h *replication.EventHeader, q string) (*catalog.Change, error) {
	s := st.s
	atEnd := func() error { return st.atEnd(ctx, h) }
	if err := atEnd(); err != nil {
		return nil, err
	}
	names, err := catalog.ListTables(ctx, s.db, s.filter)
	if err != nil {
		return nil, err
	}
	ch := &catalog.Change{}
	seen := map[string]bool{}
	for _, n := range names {
		name := n[0] + "." + n[1]
		seen[name] = true
		if catalog.IsShadow(name) && s.tables[name] != nil {
			continue
		}
		old := s.tables[name]
		if old != nil && old.CreateSQL != "" && showCreate(ctx, s.db, n[0], n[1]) == old.CreateSQL {
			continue // untouched: the same definition as in the history
		}
		def, err := catalog.LoadTable(ctx, s.db, n[0], n[1])
		if err != nil {
			return nil, fmt.Errorf("table %s, as the server has it after the statement: %w", name, err)
		}
		if old == nil || !sameShape(old, def) || old.CreateSQL != def.CreateSQL && statementNames(q, n[1]) {
			ch.Changed = append(ch.Changed, def)
		}
	}
	for name := range s.tables {
		if !seen[name] && !catalog.IsShadow(name) {
			ch.Dropped = append(ch.Dropped, name)
		}
	}
	if err := atEnd(); err != nil {
		return nil, err
	}
	for _, name := range ch.Dropped {
		delete(s.tables, name)
	}
	for _, def := range ch.Changed {
		s.tables[def.Name()] = def
	}
	ch.Relevant = len(ch.Changed)+len(ch.Dropped) > 0
	return ch, nil
}

// showCreate returns SHOW CREATE TABLE of db.table, "" when it cannot.
func showCreate(ctx context.Context, db *sql.DB, schema, table string) string {
	ctx, cancel := dbconn.MetaCtx(ctx)
	defer cancel()
	var name, create string
	if db.QueryRowContext(ctx, "SHOW CREATE TABLE "+dbconn.QuoteTable(schema, table)).Scan(&name, &create) != nil {
		return ""
	}
	return create
}

// statementNames reports whether statement q names table (as a word, quoted or
// not): a table whose CREATE text differs though its shape does not (an
// index, a default) counts as changed only when the statement names it, so
// that the sinks replay what it did to that table, and not a statement
// that touched only tables outside the selection.
func statementNames(q, table string) bool {
	return regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_$])` + regexp.QuoteMeta(table) + `($|[^A-Za-z0-9_$])`).MatchString(q)
}

// sameShape reports whether two definitions of a table decode and write
// rows alike: the same key and the same columns with the same types,
// nullability and character sets. A definition the history built from a
// parsed DDL and one read from the server differ in their CREATE text but
// not in this; only a table whose shape changed is reported as changed,
// so the sinks do not run a statement for tables it did not touch
// (statementNames decides for the rest of the CREATE text).
func sameShape(a, b *event.TableDef) bool {
	if !slices.Equal(a.PrimaryKey, b.PrimaryKey) || len(a.Columns) != len(b.Columns) {
		return false
	}
	for i := range a.Columns {
		x, y := &a.Columns[i], &b.Columns[i]
		if x.Name != y.Name || !strings.EqualFold(x.ColumnType, y.ColumnType) || x.Nullable != y.Nullable ||
			catalog.NormCharset(x.Charset) != catalog.NormCharset(y.Charset) || (x.Generated == "") != (y.Generated == "") {
			return false
		}
	}
	return true
}
