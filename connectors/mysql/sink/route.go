package sink

import (
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// routes are the sink's routes: they map source tables to replica tables.
// Every role that names a replica table (the applier, the DDL runner,
// Check) goes through them.
type routes []config.Route

// table maps a source table to its replica table.
func (r routes) table(db, table string) (string, string) { return Route(r, db, table) }

// Route maps a source table to its replica table by routes: an
// exact "db.table" route first, then "db.*", then "*.table"; a table no
// route names keeps its name. A "*" part keeps the source's name.
func Route(routes []config.Route, db, table string) (string, string) {
	var dbRoute, tableRoute [2]string
	for _, r := range routes {
		fdb, ft, _ := strings.Cut(r.From, ".")
		tdb, tt, _ := strings.Cut(r.To, ".")
		switch {
		case fdb == db && ft == table:
			return tdb, tt
		case fdb == db && ft == "*" && dbRoute[0] == "":
			dbRoute = [2]string{tdb, table}
		case fdb == "*" && ft == table && tableRoute[0] == "":
			tableRoute = [2]string{db, tt}
		}
	}
	switch {
	case dbRoute[0] != "":
		return dbRoute[0], dbRoute[1]
	case tableRoute[0] != "":
		return tableRoute[0], tableRoute[1]
	}
	return db, table
}

// db maps a source database to the replica database its tables go to.
func (r routes) db(db string) string { return RouteDB(r, db) }

// RouteDB maps a source database to the replica database its tables go to
// by a "db.*" route, or keeps its name.
func RouteDB(routes []config.Route, db string) string {
	for _, rt := range routes {
		fdb, ft, _ := strings.Cut(rt.From, ".")
		tdb, _, _ := strings.Cut(rt.To, ".")
		if fdb == db && ft == "*" {
			return tdb
		}
	}
	return db
}

// target returns the quoted replica table of source table "db.table".
func (r routes) target(name string) string {
	db, table, _ := strings.Cut(name, ".")
	return dbconn.QuoteTable(r.table(db, table))
}
