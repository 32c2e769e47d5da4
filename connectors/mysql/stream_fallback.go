package mysql

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"
)

// errNotCaughtUp says the server's tables may already be past a DDL.
var errNotCaughtUp = errors.New("the reader is behind the server, whose tables may have changed since")

// fromServer is the way out for a DDL sluice cannot parse or apply: when
// the statement is the last event the server has written (the reader is
// caught up, so information_schema shows exactly its result), the selected
// tables are read again from the server and compared with the history.
// The end of binlog is read before and after, so a DDL that slips in
// between is noticed. Shadow tables of online schema changes keep their
// history. It fails with errNotCaughtUp when the reader is behind.
func (st *streamer) fromServer(ctx context.Context, h *replication.EventHeader) (*ddlChange, error) {
	s := st.s
	atEnd := func() error {
		p, err := masterPosition(ctx, s.db, s.info.Flavor)
		if err != nil {
			return err
		}
		if p.File != st.file || p.Pos != uint64(h.LogPos) {
			return fmt.Errorf("%w (server at %s)", errNotCaughtUp, p)
		}
		return nil
	}
	if err := atEnd(); err != nil {
		return nil, err
	}
	names, err := listTables(ctx, s.db, s.filter)
	if err != nil {
		return nil, err
	}
	ch := &ddlChange{}
	seen := map[string]bool{}
	for _, n := range names {
		name := n[0] + "." + n[1]
		seen[name] = true
		if isShadow(name) && s.tables[name] != nil {
			continue
		}
		def, err := loadTable(ctx, s.db, n[0], n[1])
		if err != nil {
			return nil, err
		}
		if old := s.tables[name]; old == nil || old.CreateSQL != def.CreateSQL {
			ch.changed = append(ch.changed, def)
		}
	}
	for name := range s.tables {
		if !seen[name] && !isShadow(name) {
			ch.dropped = append(ch.dropped, name)
		}
	}
	if err := atEnd(); err != nil {
		return nil, err
	}
	for _, name := range ch.dropped {
		delete(s.tables, name)
	}
	for _, def := range ch.changed {
		s.tables[def.Name()] = def
	}
	ch.relevant = len(ch.changed)+len(ch.dropped) > 0
	return ch, nil
}
