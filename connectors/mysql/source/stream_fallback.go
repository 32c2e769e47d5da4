package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
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
func (st *streamer) fromServer(ctx context.Context, h *replication.EventHeader) (*catalog.Change, error) {
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
		def, err := catalog.LoadTable(ctx, s.db, n[0], n[1])
		if err != nil {
			return nil, err
		}
		if old := s.tables[name]; old == nil || old.CreateSQL != def.CreateSQL {
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
