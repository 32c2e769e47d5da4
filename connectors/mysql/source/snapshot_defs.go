package source

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
)

// errDefsMoved is returned (retryable: the runtime restarts the connector,
// which reads the definitions again) when a DDL changed the selected tables
// between reading their definitions and opening the snapshot's view.
type errDefsMoved struct{ source, table, what string }

func (e *errDefsMoved) Error() string {
	return fmt.Sprintf("source %s: table %s %s while the initial snapshot started (a DDL ran meanwhile); "+
		"starting again so that rows are decoded with the definition in force at the snapshot's position", e.source, e.table, e.what)
}

// defsStable checks, once the snapshot's consistent view is open, that the
// selected tables and their columns and keys are still those read from the
// server before it (initSchema). The definitions are read at a time t1 and
// the view's position is taken at t2 > t1; a DDL between the two would be
// neither in the definitions nor in the binlog streamed from the view's
// position, and rows after it would be decoded with the old definition.
// Reading them again after t2 and finding them equal rules that out (but
// for a DDL undone by another one in the same instant).
func (s *Source) defsStable(ctx context.Context, names []string) error {
	now, err := catalog.ListTables(ctx, s.db, s.filter)
	if err != nil {
		return err
	}
	var got []string
	for _, n := range now {
		got = append(got, n[0]+"."+n[1])
	}
	for _, n := range got {
		if !slices.Contains(names, n) {
			return &errDefsMoved{s.cfg.Name, n, "appeared"}
		}
	}
	for _, n := range names {
		if !slices.Contains(got, n) {
			return &errDefsMoved{s.cfg.Name, n, "disappeared"}
		}
	}
	for _, n := range now {
		def, err := catalog.LoadTable(ctx, s.db, n[0], n[1])
		if err != nil {
			return err
		}
		old := s.tables[n[0]+"."+n[1]]
		if old == nil || !reflect.DeepEqual(def.Columns, old.Columns) || !reflect.DeepEqual(def.PrimaryKey, old.PrimaryKey) {
			return &errDefsMoved{s.cfg.Name, def.Name(), "changed"}
		}
	}
	return nil
}
