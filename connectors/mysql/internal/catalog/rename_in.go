package catalog

import (
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// RenamedIn sets the statements the sinks run for a DDL that renamed
// tables into the selection from outside it (LoadNow), given their
// definitions read from the server: the replicas lack the old tables, so
// the statement as written would fail there (error 1146). Instead the
// renames between tables the replicas have are kept, then each table
// renamed in is created from its definition; its rows follow by snapshot
// (NeedCopy).
func (c *Change) RenamedIn(loaded []*event.TableDef) error {
	stmts := c.SinkStmts
	if stmts == nil {
		var pairs []string
		for _, r := range c.Renamed {
			if IsShadow(r[0]) || IsShadow(r[1]) {
				continue
			}
			odb, ot, _ := strings.Cut(r[0], ".")
			ndb, nt, _ := strings.Cut(r[1], ".")
			pairs = append(pairs, dbconn.QuoteTable(odb, ot)+" TO "+dbconn.QuoteTable(ndb, nt))
		}
		if len(pairs) > 0 {
			stmts = append(stmts, "RENAME TABLE "+strings.Join(pairs, ", "))
		}
	}
	for _, def := range loaded {
		if !CreateTableRe.MatchString(def.CreateSQL) {
			return fmt.Errorf("table %s renamed into the selection: unexpected definition %.60q", def.Name(), def.CreateSQL)
		}
		stmts = append(stmts, CreateTableRe.ReplaceAllLiteralString(def.CreateSQL, "CREATE TABLE IF NOT EXISTS "+dbconn.QuoteTable(def.DB, def.Table)))
	}
	c.SinkStmts = stmts
	return nil
}
