package catalog

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// merge adds what a later statement of the same event did.
func (c *Change) Merge(o *Change) {
	c.Relevant = c.Relevant || o.Relevant
	c.Changed = append(c.Changed, o.Changed...)
	c.Dropped = append(c.Dropped, o.Dropped...)
	c.Renamed = append(c.Renamed, o.Renamed...)
	c.Truncated = append(c.Truncated, o.Truncated...)
	c.Databases = append(c.Databases, o.Databases...)
	c.Refused = append(c.Refused, o.Refused...)
	c.LoadNow = append(c.LoadNow, o.LoadNow...)
	c.Cascading = append(c.Cascading, o.Cascading...)
	if o.SinkStmts != nil {
		c.SinkStmts = append(append([]string{}, c.SinkStmts...), o.SinkStmts...)
	}
}

// forSinks is the DDL marker of statement q: shadow tables of online
// schema changes are left out, and a cut-over carries its schema change.
func (c *Change) ForSinks(q, schema string) *event.DDL {
	d := &event.DDL{Statements: []string{q}, Schema: schema, Databases: c.Databases}
	if c.SinkStmts != nil {
		d.Statements = c.SinkStmts
	}
	for _, def := range c.Changed {
		if !IsShadow(def.Name()) {
			d.Tables = append(d.Tables, *def)
		}
	}
	for _, name := range c.Dropped { // a table may be dropped and made again (CREATE OR REPLACE)
		if !IsShadow(name) {
			d.Dropped = append(d.Dropped, name)
		}
	}
	for _, r := range c.Renamed {
		if !IsShadow(r[0]) && !IsShadow(r[1]) {
			d.Renamed = append(d.Renamed, r)
		}
	}
	for _, name := range c.Truncated {
		if !IsShadow(name) {
			d.Truncated = append(d.Truncated, name)
		}
	}
	return d
}

// State is the definitions of the selected tables as of one binlog
// position. applyDDL moves it past one statement; the source keeps it in
// step with the events it reads, so each row is decoded with the definition
// in force where it was written. It is not safe for concurrent use.
type State struct {
	filter Filter
	// Dialect is the source server's; NewState assumes it runs every
	// executable comment until the caller sets its Version.
	Dialect Dialect
	Tables  map[string]*event.TableDef // "db.table" -> definition
	// charsets holds the default character set of databases, for columns
	// created without one; serverCharset is the server's default.
	// Collations holds their default collations where named ("" is the
	// character set's default), for databases a sink creates.
	Charsets        map[string]string
	Collations      map[string]string
	ServerCharset   string
	ServerCollation string
	// shadows are the copy tables of online schema changes in progress;
	// retired the definitions of tables renamed to their own shadow name
	// (t -> _t_del), the "before" of the cut-over that follows.
	Shadows map[string]*Shadow
	Retired map[string]*event.TableDef
	// needCopy holds tables renamed into the selection from outside it:
	// the replicas have none of their rows, so they need a snapshot.
	NeedCopy map[string]bool
}

// NewState returns the schema state of the tables f selects, starting
// from tables; mariadb selects the MariaDB dialect of the DDL parser.
func NewState(f Filter, mariadb bool, tables map[string]*event.TableDef) *State {
	return &State{filter: f, Dialect: Dialect{MariaDB: mariadb, Version: math.MaxInt}, Tables: tables, Charsets: map[string]string{}, Collations: map[string]string{},
		Shadows: map[string]*Shadow{}, Retired: map[string]*event.TableDef{}, NeedCopy: map[string]bool{}}
}

// Change is what one DDL statement did to the selected tables. Nothing
// changed and sinks need not hear of it when relevant is false.
type Change struct {
	Relevant  bool
	Changed   []*event.TableDef // created or altered selected tables, in order
	Dropped   []string          // selected tables that no longer exist
	Renamed   [][2]string       // "db.old" -> "db.new"
	Truncated []string
	Databases []string // selected databases created or dropped
	// sinkStmts, when set, replace the statement for the sinks: the
	// schema change of an online schema change tool's cut-over.
	SinkStmts []string
	// loadNow are tables renamed into the selection from outside it, whose
	// definitions the history lacks: the caller reads them from the server.
	LoadNow []string
	// Cascading names foreign keys with cascading actions the statement
	// gave selected tables (CascadingError).
	Cascading []string
	// Refused are tables the statement created or renamed that the
	// patterns match and Filter.Refused refuses, as [db, table].
	Refused [][2]string
}

// ddlKeyword matches statements that may change tables or databases; a
// statement sluice cannot parse stops the reader only when it matches.
// Comments before the keyword are passed over: /* ... */ (executable ones
// too), and "-- " and "#" comments to the end of their line.
var ddlKeyword = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*|--(\s[^\n]*)?(\n|$)\s*|#[^\n]*(\n|$)\s*)*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\s+(OR\s+REPLACE\s+)?` +
	`((TEMPORARY|ONLINE|IGNORE|OFFLINE|UNIQUE|FULLTEXT|SPATIAL)\s+)*(TABLE|TABLES|DATABASE|SCHEMA|INDEX)\b`)

// LooksLikeTableDDL reports whether q might change a table or database.
func LooksLikeTableDDL(q string) bool { return ddlKeyword.MatchString(q) }

// ParseSQL parses q as the source server reads it (Dialect.ParseSQL).
func (ss *State) ParseSQL(q string) ([]ast.StmtNode, error) { return ss.Dialect.ParseSQL(q) }

// takeCopy reports whether table needs a snapshot because a RENAME brought
// it into the selection, and forgets it.
func (ss *State) TakeCopy(table string) bool {
	if ss == nil || !ss.NeedCopy[table] {
		return false
	}
	delete(ss.NeedCopy, table)
	return true
}

// DBSelected reports whether some pattern could select a table of db.
func (ss *State) DBSelected(db string) bool { return ss.dbSelected(db) }

func (ss *State) dbSelected(db string) bool {
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

// setDBCharset records the default character set and collation a CREATE
// or ALTER DATABASE gives db: a COLLATE names both (a collation names its
// character set), a CHARACTER SET alone brings its default collation.
// Neither (CREATE DATABASE d): the server's.
func (ss *State) setDBCharset(db string, opts []*ast.DatabaseOption, create bool) {
	cs, co := "", ""
	for _, o := range opts {
		switch o.Tp {
		case ast.DatabaseOptionCharset:
			cs = NormCharset(o.Value)
		case ast.DatabaseOptionCollate:
			co = strings.ToLower(o.Value)
		}
	}
	switch {
	case co != "":
		cs = collationCharset(co)
	case cs == "" && create: // neither: the server's defaults (a CHARACTER SET alone brings its own default collation)
		cs, co = ss.ServerCharset, ss.ServerCollation
	}
	if cs != "" {
		ss.Charsets[db], ss.Collations[db] = cs, co
	}
}

// DBCollation is db's default collation as the history knows it; "" when
// it is its character set's default or unknown.
func (ss *State) DBCollation(db string) string { return ss.Collations[db] }

// dbCharset is db's default character set, or the server's.
// DBCharset returns the default character set of database db at the
// state's position (the server's when the history does not know it).
func (ss *State) DBCharset(db string) string { return ss.dbCharset(db) }

func (ss *State) dbCharset(db string) string {
	if cs := ss.Charsets[db]; cs != "" {
		return cs
	}
	return ss.ServerCharset
}

// Qualify returns the database and table of tn, the database defaulting
// to schema (the statement's current database).
func Qualify(tn *ast.TableName, schema string) (string, string) {
	if tn.Schema.O != "" {
		return tn.Schema.O, tn.Name.O
	}
	return schema, tn.Name.O
}

// applyDDL applies one parsed statement run with default database schema.
// Statements that change no table (DML, grants, views, routines) change
// nothing. Errors name the table; the caller adds statement and position.
func (ss *State) Apply(stmt ast.StmtNode, schema string) (*Change, error) {
	ch := &Change{}
	switch s := stmt.(type) {
	case *ast.CreateDatabaseStmt:
		if _, exists := ss.Charsets[s.Name.O]; !exists || !s.IfNotExists { // IF NOT EXISTS of one that exists changes nothing
			ss.setDBCharset(s.Name.O, s.Options, true)
		}
		if ss.dbSelected(s.Name.O) {
			ch.Relevant, ch.Databases = true, []string{s.Name.O}
		}
	case *ast.AlterDatabaseStmt:
		name := s.Name.O
		if s.AlterDefaultDatabase || name == "" {
			name = schema // ALTER DATABASE without a name: the current one
		}
		if name == "" {
			return ch, nil
		}
		ss.setDBCharset(name, s.Options, false)
		if ss.dbSelected(name) { // the replica's database gets the same defaults
			ch.Relevant, ch.Databases = true, []string{name}
		}
	case *ast.DropDatabaseStmt:
		delete(ss.Charsets, s.Name.O)
		delete(ss.Collations, s.Name.O)
		for name, def := range ss.Tables {
			if strings.EqualFold(def.DB, s.Name.O) {
				delete(ss.Tables, name)
				ch.Dropped = append(ch.Dropped, name)
			}
		}
		if ss.dbSelected(s.Name.O) {
			ch.Relevant, ch.Databases = true, []string{s.Name.O}
		}
	case *ast.CreateTableStmt:
		return ch, ss.createTable(s, schema, ch)
	case *ast.DropTableStmt:
		if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
			return ch, nil
		}
		for _, tn := range s.Tables {
			db, t := Qualify(tn, schema)
			if ss.filter.Match(db, t) {
				ch.Relevant = ch.Relevant || !IsShadow(db+"."+t)
				delete(ss.Shadows, db+"."+t)
				if ss.Tables[db+"."+t] != nil {
					delete(ss.Tables, db+"."+t)
					ch.Dropped = append(ch.Dropped, db+"."+t)
				}
			}
		}
	case *ast.TruncateTableStmt:
		db, t := Qualify(s.Table, schema)
		if ss.filter.Match(db, t) && !IsShadow(db+"."+t) {
			ch.Relevant, ch.Truncated = true, []string{db + "." + t}
		}
	case *ast.RenameTableStmt:
		for _, tt := range s.TableToTables {
			odb, ot := Qualify(tt.OldTable, schema)
			ndb, nt := Qualify(tt.NewTable, schema)
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

func (ss *State) createTable(s *ast.CreateTableStmt, schema string, ch *Change) error {
	db, t := Qualify(s.Table, schema)
	if s.TemporaryKeyword == ast.TemporaryNone && ss.filter.Refused(db, t) {
		ch.Refused = append(ch.Refused, [2]string{db, t})
	}
	if s.TemporaryKeyword != ast.TemporaryNone || !ss.filter.Match(db, t) {
		return nil
	}
	name := db + "." + t
	ch.Relevant = ch.Relevant || !IsShadow(name)
	if ss.Tables[name] != nil && s.IfNotExists {
		return nil
	}
	ch.Cascading = append(ch.Cascading, cascadingIn(db, t, schema, s.Constraints)...)
	if s.ReferTable != nil {
		rdb, rt := Qualify(s.ReferTable, schema)
		src := ss.Tables[rdb+"."+rt]
		if src == nil {
			return fmt.Errorf("CREATE TABLE %s LIKE %s.%s: the definition of %s.%s is not in the schema history (it is not selected by tables:)", name, rdb, rt, rdb, rt)
		}
		def := *src
		def.DB, def.Table = db, t
		def.Columns = append([]event.Column(nil), src.Columns...)
		def.PrimaryKey = append([]string(nil), src.PrimaryKey...)
		create, err := likeCreate(&def) // like.go
		if err != nil {
			return fmt.Errorf("CREATE TABLE %s LIKE %s.%s: %w", name, rdb, rt, err)
		}
		def.CreateSQL = create
		ss.Tables[name] = &def
		ch.Changed = append(ch.Changed, &def)
		ss.noteShadowCreate(db, t, s, &def)
		return nil
	}
	if s.Select != nil {
		return fmt.Errorf("CREATE TABLE %s ... SELECT: the columns of the result are not known to the schema history", name)
	}
	pinTableCharset(s, ss.dbCharset(db), ss.Collations[db])
	def, err := tableFromCreate(s, db, t, nil, nil, ss.dbCharset(db), ss.Dialect.MariaDB)
	if err != nil {
		return err
	}
	ss.Tables[name] = def
	ch.Changed = append(ch.Changed, def)
	ss.noteShadowCreate(db, t, s, def)
	return nil
}

func (ss *State) rename(odb, ot, ndb, nt string, ch *Change) error {
	oldSel, newSel := ss.filter.Match(odb, ot), ss.filter.Match(ndb, nt)
	if ss.filter.Refused(ndb, nt) {
		ch.Refused = append(ch.Refused, [2]string{ndb, nt})
	}
	if !oldSel && !newSel {
		return nil
	}
	oname, nname := odb+"."+ot, ndb+"."+nt
	var def *event.TableDef
	if oldSel { // else oname may be another table's name: `a.b`.`c` is not a.`b.c`
		def = ss.Tables[oname]
		delete(ss.Tables, oname)
	}
	if err := ss.renameShadow(oname, nname, def, ch); err != nil {
		return err
	}
	ch.Renamed = append(ch.Renamed, [2]string{oname, nname})
	if oldSel && def != nil {
		ch.Dropped = append(ch.Dropped, oname)
	}
	if !newSel {
		// Renamed out of tables:: the replicas drop it (they may not
		// even have the database it goes to); its rows are no longer
		// followed.
		ch.Renamed = ch.Renamed[:len(ch.Renamed)-1]
		return nil
	}
	if def == nil && !oldSel {
		// Renamed in from outside tables:; the replicas do not have it.
		ch.Renamed = ch.Renamed[:len(ch.Renamed)-1]
		ch.LoadNow = append(ch.LoadNow, nname)
		return nil
	}
	if def == nil {
		return fmt.Errorf("RENAME TABLE %s TO %s: the definition of %s is not in the schema history", oname, nname, oname)
	}
	nd := *def
	nd.DB, nd.Table = ndb, nt
	ss.Tables[nname] = &nd
	ch.Changed = append(ch.Changed, &nd)
	return nil
}

func (ss *State) alterTable(s *ast.AlterTableStmt, schema string, ch *Change) error {
	db, t := Qualify(s.Table, schema)
	name := db + "." + t
	if !ss.filter.Match(db, t) {
		for _, sp := range s.Specs { // renamed into the selection: unknown definition
			if sp.Tp == ast.AlterTableRenameTable {
				ndb, nt := Qualify(sp.NewTable, db)
				return ss.rename(db, t, ndb, nt, ch)
			}
		}
		return nil
	}
	ch.Relevant = ch.Relevant || !IsShadow(name)
	for _, sp := range s.Specs {
		if sp.Tp == ast.AlterTableAddConstraint && sp.Constraint != nil {
			ch.Cascading = append(ch.Cascading, cascadingIn(db, t, schema, []*ast.Constraint{sp.Constraint})...)
		}
	}
	old := ss.Tables[name]
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
	changed, rename, err := alterCreate(ct, s.Specs, ss.dbCharset(db))
	if err != nil {
		return fmt.Errorf("ALTER TABLE %s: %w", name, err)
	}
	def, err := tableFromCreate(ct, db, t, old, changed, ss.dbCharset(db), ss.Dialect.MariaDB)
	if err != nil {
		return err
	}
	ss.Tables[name] = def
	if rename == nil {
		ch.Changed = append(ch.Changed, def)
		return nil
	}
	ndb, nt := Qualify(rename, db)
	return ss.rename(db, t, ndb, nt, ch)
}
