package sink

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// ddlPlan is what a sink runs on its replica for one DDL marker.
type ddlPlan struct {
	stmts  []string    // in order
	useDB  string      // default database for statements with unqualified names
	tables [][2]string // replica tables they touch, for the fingerprint
	dbs    []string    // replica databases they create or drop
}

// tableNames collects every table name of a statement.
type tableNames struct{ names []*ast.TableName }

func (v *tableNames) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok {
		v.names = append(v.names, tn)
	}
	return n, false
}

func (v *tableNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

var createTablePrefix = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+`)

// planDDL turns the statements of a DDL marker into replica statements:
// table and database names follow the routes, tables the source did not
// select are left out of DROP and RENAME, and CREATE/DROP get IF [NOT]
// EXISTS. A statement whose names need no change runs as the source ran it
// (in its default database), so that what the replica gets is exactly what
// the source got; others are printed back from the parsed statement.
func planDDL(r routes, d *event.DDL) (*ddlPlan, error) {
	p := &ddlPlan{}
	if d.Verbatim {
		return planVerbatim(r, d)
	}
	for _, q := range d.Statements {
		stmts, err := catalog.ParseSQL(q)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", q, err)
		}
		for _, stmt := range stmts {
			if err := p.add(r, d, q, len(stmts) == 1, stmt); err != nil {
				return nil, fmt.Errorf("%q: %w", q, err)
			}
		}
	}
	return p, p.recreate(r, d)
}

// recreate plans the CREATE TABLE of each table of d.Recreate from its
// definition in d.Tables, routed like the tables the sink creates for
// rows (tables.go).
func (p *ddlPlan) recreate(r routes, d *event.DDL) error {
	for _, name := range d.Recreate {
		i := slices.IndexFunc(d.Tables, func(t event.TableDef) bool { return t.Name() == name })
		if i < 0 {
			return fmt.Errorf("table %s to create again has no definition in the DDL marker", name)
		}
		stmts, err := createStmts(r, &d.Tables[i])
		if err != nil {
			return err
		}
		db, t := r.table(d.Tables[i].DB, d.Tables[i].Table)
		p.stmts = append(p.stmts, stmts...)
		p.tables = append(p.tables, [2]string{db, t})
	}
	return nil
}

// add plans stmt, one of the statements parsed from text (single: the
// only one).
func (p *ddlPlan) add(r routes, d *event.DDL, text string, single bool, stmt ast.StmtNode) error {
	rename := func(tn *ast.TableName) {
		db, t := catalog.Qualify(tn, d.Schema)
		rdb, rt := r.table(db, t)
		tn.Schema, tn.Name = ast.NewCIStr(rdb), ast.NewCIStr(rt)
		p.tables = append(p.tables, [2]string{rdb, rt})
	}
	restore := func() error {
		q, err := catalog.RestoreSQL(stmt)
		if err == nil {
			p.stmts = append(p.stmts, q)
		}
		return err
	}
	switch st := stmt.(type) {
	case *ast.CreateDatabaseStmt:
		st.Name, st.IfNotExists = ast.NewCIStr(r.db(st.Name.O)), true
		p.dbs = append(p.dbs, st.Name.O)
		return restore()
	case *ast.AlterDatabaseStmt:
		name := st.Name.O
		if st.AlterDefaultDatabase || name == "" {
			name = d.Schema // the source's current database
		}
		st.Name, st.AlterDefaultDatabase = ast.NewCIStr(r.db(name)), false
		p.dbs = append(p.dbs, st.Name.O)
		return restore()
	case *ast.DropDatabaseStmt:
		db := r.db(st.Name.O)
		for _, name := range d.Dropped { // routed elsewhere: dropped one by one
			tn := tableNameOf(name)
			if rdb, _ := r.table(tn.Schema.O, tn.Name.O); rdb != db {
				rename(tn)
				p.stmts = append(p.stmts, "DROP TABLE IF EXISTS "+dbconn.QuoteTable(tn.Schema.O, tn.Name.O))
			}
		}
		st.Name, st.IfExists = ast.NewCIStr(db), true
		p.dbs = append(p.dbs, db)
		return restore()
	case *ast.DropTableStmt:
		var keep []*ast.TableName
		for _, tn := range st.Tables {
			db, t := catalog.Qualify(tn, d.Schema)
			if slices.Contains(d.Dropped, db+"."+t) {
				rename(tn)
				keep = append(keep, tn)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		st.Tables, st.IfExists = keep, true
		return restore()
	case *ast.RenameTableStmt:
		var keep []*ast.TableToTable
		for _, tt := range st.TableToTables {
			odb, ot := catalog.Qualify(tt.OldTable, d.Schema)
			ndb, nt := catalog.Qualify(tt.NewTable, d.Schema)
			switch {
			case slices.Contains(d.Renamed, [2]string{odb + "." + ot, ndb + "." + nt}):
				rename(tt.OldTable)
				rename(tt.NewTable)
				keep = append(keep, tt)
			case slices.Contains(d.Dropped, odb+"."+ot): // renamed out of tables:
				rdb, rt := r.table(odb, ot)
				p.stmts = append(p.stmts, "DROP TABLE IF EXISTS "+dbconn.QuoteTable(rdb, rt))
				p.tables = append(p.tables, [2]string{rdb, rt})
			}
		}
		if len(keep) == 0 {
			return nil
		}
		st.TableToTables = keep
		return restore()
	}
	v := &tableNames{}
	stmt.Accept(v)
	same, unqualified := true, false
	for _, tn := range v.names {
		db, t := catalog.Qualify(tn, d.Schema)
		unqualified = unqualified || tn.Schema.O == ""
		if rdb, rt := r.table(db, t); rdb != db || rt != t {
			same = false
		}
		rename(tn)
	}
	ct, isCreate := stmt.(*ast.CreateTableStmt)
	if same && single {
		q := text
		if isCreate && !ct.IfNotExists {
			if !createTablePrefix.MatchString(q) {
				ct.IfNotExists = true
				return restore()
			}
			q = createTablePrefix.ReplaceAllLiteralString(q, "CREATE TABLE IF NOT EXISTS ")
		}
		if unqualified {
			if p.useDB != "" && p.useDB != d.Schema {
				return restore()
			}
			p.useDB = d.Schema
		}
		p.stmts = append(p.stmts, q)
		return nil
	}
	if isCreate {
		ct.IfNotExists = true
	}
	return restore()
}

// planVerbatim runs statements sluice cannot parse as the source ran them.
// Their tables are known only from the definitions the marker carries, so
// a route that would rename one of them is an error.
func planVerbatim(r routes, d *event.DDL) (*ddlPlan, error) {
	p := &ddlPlan{stmts: d.Statements, useDB: d.Schema}
	names := append([]string(nil), d.Dropped...)
	for _, t := range d.Tables {
		names = append(names, t.Name())
	}
	for _, name := range names {
		tn := tableNameOf(name)
		db, t := tn.Schema.O, tn.Name.O
		if rdb, rt := r.table(db, t); rdb != db || rt != t {
			return nil, fmt.Errorf("%q could not be parsed, so it cannot follow the route of %s to %s.%s: apply it on the replica by hand "+
				"and add its position to the source's skip_ddl", d.Statements, name, rdb, rt)
		}
		p.tables = append(p.tables, [2]string{db, t})
	}
	return p, nil
}

// tableNameOf parses "db.table".
func tableNameOf(name string) *ast.TableName {
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			return &ast.TableName{Schema: ast.NewCIStr(name[:i]), Name: ast.NewCIStr(name[i+1:])}
		}
	}
	return &ast.TableName{Name: ast.NewCIStr(name)}
}
