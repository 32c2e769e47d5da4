package mysql

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// schemaState is the definitions of the selected tables as of one binlog
// position. applyDDL moves it past one statement; the source keeps it in
// step with the events it reads, so each row is decoded with the definition
// in force where it was written. It is not safe for concurrent use.
type schemaState struct {
	filter  tableFilter
	mariadb bool
	tables  map[string]*event.TableDef // "db.table" -> definition
	// charsets holds the default character set of databases, for columns
	// created without one; serverCharset is the server's default.
	charsets      map[string]string
	serverCharset string
	// shadows are the copy tables of online schema changes in progress;
	// retired the definitions of tables renamed to their own shadow name
	// (t -> _t_del), the "before" of the cut-over that follows.
	shadows map[string]*shadow
	retired map[string]*event.TableDef
	// needCopy holds tables renamed into the selection from outside it:
	// the replicas have none of their rows, so they need a snapshot.
	needCopy map[string]bool
}

func newSchemaState(f tableFilter, mariadb bool, tables map[string]*event.TableDef) *schemaState {
	return &schemaState{filter: f, mariadb: mariadb, tables: tables, charsets: map[string]string{},
		shadows: map[string]*shadow{}, retired: map[string]*event.TableDef{}, needCopy: map[string]bool{}}
}

// ddlChange is what one DDL statement did to the selected tables. Nothing
// changed and sinks need not hear of it when relevant is false.
type ddlChange struct {
	relevant  bool
	changed   []*event.TableDef // created or altered selected tables, in order
	dropped   []string          // selected tables that no longer exist
	renamed   [][2]string       // "db.old" -> "db.new"
	truncated []string
	databases []string // selected databases created or dropped
	// sinkStmts, when set, replace the statement for the sinks: the
	// schema change of an online schema change tool's cut-over.
	sinkStmts []string
	// loadNow are tables renamed into the selection from outside it, whose
	// definitions the history lacks: the caller reads them from the server.
	loadNow []string
}

// ddlKeyword matches statements that may change tables or databases; a
// statement sluice cannot parse stops the reader only when it matches.
var ddlKeyword = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*)*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\s+(OR\s+REPLACE\s+)?` +
	`((TEMPORARY|ONLINE|IGNORE|OFFLINE|UNIQUE|FULLTEXT|SPATIAL)\s+)*(TABLE|TABLES|DATABASE|SCHEMA|INDEX)\b`)

// looksLikeTableDDL reports whether q might change a table or database.
func looksLikeTableDDL(q string) bool { return ddlKeyword.MatchString(q) }

// takeCopy reports whether table needs a snapshot because a RENAME brought
// it into the selection, and forgets it.
func (ss *schemaState) takeCopy(table string) bool {
	if ss == nil || !ss.needCopy[table] {
		return false
	}
	delete(ss.needCopy, table)
	return true
}

// dbSelected reports whether some pattern could select a table of db.
func (ss *schemaState) dbSelected(db string) bool {
	switch strings.ToLower(db) {
	case "mysql", "information_schema", "performance_schema", "sys":
		return false
	}
	for _, p := range ss.filter {
		dp, _, _ := strings.Cut(p, ".")
		if m, _ := path.Match(dp, db); m {
			return true
		}
	}
	return false
}

func (ss *schemaState) dbCharset(db string) string {
	if cs := ss.charsets[db]; cs != "" {
		return cs
	}
	return ss.serverCharset
}

func qualify(tn *ast.TableName, schema string) (string, string) {
	if tn.Schema.O != "" {
		return tn.Schema.O, tn.Name.O
	}
	return schema, tn.Name.O
}

// applyDDL applies one parsed statement run with default database schema.
// Statements that change no table (DML, grants, views, routines) change
// nothing. Errors name the table; the caller adds statement and position.
func (ss *schemaState) applyDDL(stmt ast.StmtNode, schema string) (*ddlChange, error) {
	ch := &ddlChange{}
	switch s := stmt.(type) {
	case *ast.CreateDatabaseStmt:
		for _, o := range s.Options {
			if o.Tp == ast.DatabaseOptionCharset {
				ss.charsets[s.Name.O] = strings.ToLower(o.Value)
			}
		}
		if ss.dbSelected(s.Name.O) {
			ch.relevant, ch.databases = true, []string{s.Name.O}
		}
	case *ast.AlterDatabaseStmt:
		for _, o := range s.Options {
			if o.Tp == ast.DatabaseOptionCharset {
				ss.charsets[s.Name.O] = strings.ToLower(o.Value)
			}
		}
	case *ast.DropDatabaseStmt:
		for name, def := range ss.tables {
			if strings.EqualFold(def.DB, s.Name.O) {
				delete(ss.tables, name)
				ch.dropped = append(ch.dropped, name)
			}
		}
		if ss.dbSelected(s.Name.O) {
			ch.relevant, ch.databases = true, []string{s.Name.O}
		}
	case *ast.CreateTableStmt:
		return ch, ss.createTable(s, schema, ch)
	case *ast.DropTableStmt:
		if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
			return ch, nil
		}
		for _, tn := range s.Tables {
			db, t := qualify(tn, schema)
			if ss.filter.Match(db, t) {
				ch.relevant = ch.relevant || !isShadow(db+"."+t)
				delete(ss.shadows, db+"."+t)
				if ss.tables[db+"."+t] != nil {
					delete(ss.tables, db+"."+t)
					ch.dropped = append(ch.dropped, db+"."+t)
				}
			}
		}
	case *ast.TruncateTableStmt:
		db, t := qualify(s.Table, schema)
		if ss.filter.Match(db, t) && !isShadow(db+"."+t) {
			ch.relevant, ch.truncated = true, []string{db + "." + t}
		}
	case *ast.RenameTableStmt:
		for _, tt := range s.TableToTables {
			odb, ot := qualify(tt.OldTable, schema)
			ndb, nt := qualify(tt.NewTable, schema)
			if err := ss.rename(odb, ot, ndb, nt, ch); err != nil {
				return ch, err
			}
		}
	case *ast.AlterTableStmt:
		return ch, ss.alterTable(s, schema, ch)
	case *ast.CreateIndexStmt, *ast.DropIndexStmt:
		return ch, ss.alterTable(asAlter(s), schema, ch)
	}
	return ch, nil
}

// asAlter returns ALTER TABLE, CREATE INDEX and DROP INDEX as an ALTER
// TABLE statement, and nil for any other statement.
func asAlter(stmt ast.StmtNode) *ast.AlterTableStmt {
	switch s := stmt.(type) {
	case *ast.AlterTableStmt:
		return s
	case *ast.CreateIndexStmt:
		c := &ast.Constraint{Name: s.IndexName, Keys: s.IndexPartSpecifications, Option: s.IndexOption, Tp: ast.ConstraintIndex}
		switch s.KeyType {
		case ast.IndexKeyTypeUnique:
			c.Tp = ast.ConstraintUniq
		case ast.IndexKeyTypeFulltext:
			c.Tp = ast.ConstraintFulltext
		}
		return &ast.AlterTableStmt{Table: s.Table, Specs: []*ast.AlterTableSpec{{Tp: ast.AlterTableAddConstraint, Constraint: c}}}
	case *ast.DropIndexStmt:
		return &ast.AlterTableStmt{Table: s.Table, Specs: []*ast.AlterTableSpec{{Tp: ast.AlterTableDropIndex, Name: s.IndexName}}}
	}
	return nil
}

func (ss *schemaState) createTable(s *ast.CreateTableStmt, schema string, ch *ddlChange) error {
	db, t := qualify(s.Table, schema)
	if s.TemporaryKeyword != ast.TemporaryNone || !ss.filter.Match(db, t) {
		return nil
	}
	name := db + "." + t
	ch.relevant = ch.relevant || !isShadow(name)
	if ss.tables[name] != nil && s.IfNotExists {
		return nil
	}
	if s.ReferTable != nil {
		rdb, rt := qualify(s.ReferTable, schema)
		src := ss.tables[rdb+"."+rt]
		if src == nil {
			return fmt.Errorf("CREATE TABLE %s LIKE %s.%s: the definition of %s.%s is not in the schema history (it is not selected by tables:)", name, rdb, rt, rdb, rt)
		}
		def := *src
		def.DB, def.Table = db, t
		def.Columns = append([]event.Column(nil), src.Columns...)
		def.PrimaryKey = append([]string(nil), src.PrimaryKey...)
		ss.tables[name] = &def
		ch.changed = append(ch.changed, &def)
		ss.noteShadowCreate(db, t, s, &def)
		return nil
	}
	if s.Select != nil {
		return fmt.Errorf("CREATE TABLE %s ... SELECT: the columns of the result are not known to the schema history", name)
	}
	def, err := tableFromCreate(s, db, t, nil, nil, ss.dbCharset(db), ss.mariadb)
	if err != nil {
		return err
	}
	ss.tables[name] = def
	ch.changed = append(ch.changed, def)
	ss.noteShadowCreate(db, t, s, def)
	return nil
}

func (ss *schemaState) rename(odb, ot, ndb, nt string, ch *ddlChange) error {
	oldSel, newSel := ss.filter.Match(odb, ot), ss.filter.Match(ndb, nt)
	if !oldSel && !newSel {
		return nil
	}
	oname, nname := odb+"."+ot, ndb+"."+nt
	def := ss.tables[oname]
	delete(ss.tables, oname)
	if err := ss.renameShadow(oname, nname, def, ch); err != nil {
		return err
	}
	ch.renamed = append(ch.renamed, [2]string{oname, nname})
	if oldSel && def != nil {
		ch.dropped = append(ch.dropped, oname)
	}
	if !newSel {
		return nil
	}
	if def == nil && !oldSel {
		// Renamed in from outside tables:; the replicas do not have it.
		ch.renamed = ch.renamed[:len(ch.renamed)-1]
		ch.loadNow = append(ch.loadNow, nname)
		return nil
	}
	if def == nil {
		return fmt.Errorf("RENAME TABLE %s TO %s: the definition of %s is not in the schema history", oname, nname, oname)
	}
	nd := *def
	nd.DB, nd.Table = ndb, nt
	ss.tables[nname] = &nd
	ch.changed = append(ch.changed, &nd)
	return nil
}

func (ss *schemaState) alterTable(s *ast.AlterTableStmt, schema string, ch *ddlChange) error {
	db, t := qualify(s.Table, schema)
	name := db + "." + t
	if !ss.filter.Match(db, t) {
		for _, sp := range s.Specs { // renamed into the selection: unknown definition
			if sp.Tp == ast.AlterTableRenameTable {
				ndb, nt := qualify(sp.NewTable, db)
				return ss.rename(db, t, ndb, nt, ch)
			}
		}
		return nil
	}
	ch.relevant = ch.relevant || !isShadow(name)
	old := ss.tables[name]
	if old == nil {
		return fmt.Errorf("ALTER TABLE %s: the table is not in the schema history", name)
	}
	if err := ss.noteShadowAlter(name, s); err != nil {
		return err
	}
	ct, err := createStmt(old)
	if err != nil {
		return err
	}
	changed, rename, err := alterCreate(ct, s.Specs)
	if err != nil {
		return fmt.Errorf("ALTER TABLE %s: %w", name, err)
	}
	def, err := tableFromCreate(ct, db, t, old, changed, ss.dbCharset(db), ss.mariadb)
	if err != nil {
		return err
	}
	ss.tables[name] = def
	if rename == nil {
		ch.changed = append(ch.changed, def)
		return nil
	}
	ndb, nt := qualify(rename, db)
	return ss.rename(db, t, ndb, nt, ch)
}
