package catalog

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// ParseSQL parses one or more statements with the TiDB parser, which
// understands MySQL's and most of MariaDB's DDL. MariaDB clauses that only
// say how the server runs an ALTER (ONLINE, WAIT n, NOWAIT,
// ALGORITHM=NOCOPY) are taken out first; they change no definition.
// MariaDB's CREATE OR REPLACE TABLE becomes DROP TABLE IF EXISTS and
// CREATE TABLE. Executable comments (/*!...*/, /*M!...*/) count as their
// content, whatever the version they name: for statements whose column
// definitions do not matter; the schema history parses with its server's
// Dialect.
func ParseSQL(q string) ([]ast.StmtNode, error) { return anyServer.ParseSQL(q) }

// ParseSQL parses q as ParseSQL does, with the executable comments that d
// runs taken as their content and the others left out.
func (d Dialect) ParseSQL(q string) ([]ast.StmtNode, error) {
	q = d.resolveComments(q)
	q = trimLeadingComments(q) // ddl_mariadb.go
	q = alterOnlineRe.ReplaceAllString(q, "$1")
	q = alterWaitRe.ReplaceAllString(q, "$1")
	q = nocopyRe.ReplaceAllString(q, "ALGORITHM=INPLACE")
	q = forParser(q)
	replace := false
	if m := createOrReplaceRe.FindStringSubmatchIndex(q); m != nil {
		q, replace = q[:m[2]]+q[m[3]:], true
	}
	parserMu.RLock()
	defer parserMu.RUnlock()
	stmts, _, err := parser.New().ParseSQL(q)
	if err != nil || !replace || len(stmts) != 1 {
		return stmts, err
	}
	ct, ok := stmts[0].(*ast.CreateTableStmt)
	if !ok {
		return nil, fmt.Errorf("CREATE OR REPLACE of something other than a table")
	}
	drop := &ast.DropTableStmt{IfExists: true, Tables: []*ast.TableName{{Schema: ct.Table.Schema, Name: ct.Table.Name}}}
	return []ast.StmtNode{drop, ct}, nil
}

var (
	alterOnlineRe     = regexp.MustCompile(`(?is)^(\s*ALTER\s+)ONLINE\s+`)
	alterWaitRe       = regexp.MustCompile(`(?is)^(\s*ALTER\s+(?:IGNORE\s+)?TABLE\s+(?:` + "`[^`]+`" + `|[^\s.]+)(?:\.(?:` + "`[^`]+`" + `|[^\s.]+))?)\s+(?:WAIT\s+[0-9.]+|NOWAIT)\b`)
	nocopyRe          = regexp.MustCompile(`(?i)ALGORITHM\s*=\s*NOCOPY`)
	createOrReplaceRe = regexp.MustCompile(`(?is)^\s*CREATE(\s+OR\s+REPLACE)\s+TABLE\b`)
)

var enforcedRe = regexp.MustCompile(`\) ENFORCED\b`)

// RestoreSQL prints a statement back as SQL that MySQL and MariaDB accept:
// string literals without charset introducers, CHECK without ENFORCED.
func RestoreSQL(n ast.Node) (string, error) {
	defer enumCharsets(n)()
	var sb strings.Builder
	flags := format.DefaultRestoreFlags | format.RestoreStringWithoutCharset
	if err := n.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return "", err
	}
	return restoreForeignTypes(enforcedRe.ReplaceAllString(sb.String(), ")")), nil
}

// createStmt parses a table's CreateSQL (SHOW CREATE TABLE text, or what
// restoreSQL printed) into its AST, named db.table.
func createStmt(def *event.TableDef) (*ast.CreateTableStmt, error) {
	stmts, err := ParseSQL(def.CreateSQL)
	if err != nil {
		return nil, fmt.Errorf("parse the definition of %s: %w", def.Name(), err)
	}
	ct, ok := stmts[0].(*ast.CreateTableStmt)
	if len(stmts) != 1 || !ok {
		return nil, fmt.Errorf("definition of %s is not one CREATE TABLE statement", def.Name())
	}
	ct.Table.Schema, ct.Table.Name = ast.NewCIStr(def.DB), ast.NewCIStr(def.Table)
	return ct, nil
}

// tableFromCreate builds the definition of db.table from a CREATE TABLE
// statement. Columns whose names are in keep and not in changed are taken
// from old (exact information_schema data); the others are derived from
// the statement. CreateSQL is the statement printed without database name.
func tableFromCreate(ct *ast.CreateTableStmt, db, table string, old *event.TableDef, changed map[string]bool, dbCharset string, mariadb bool) (*event.TableDef, error) {
	def := &event.TableDef{DB: db, Table: table}
	binaryStrings(ct)
	charset, collation := tableCharset(ct, dbCharset)
	pk := map[string]bool{}
	for _, c := range ct.Constraints {
		if c.Tp == ast.ConstraintPrimaryKey {
			for _, k := range c.Keys {
				if k.Column != nil {
					def.PrimaryKey = append(def.PrimaryKey, k.Column.Name.O)
					pk[strings.ToLower(k.Column.Name.O)] = true
				}
			}
		}
	}
	for _, cd := range ct.Cols {
		name := cd.Name.Name.O
		for _, o := range cd.Options {
			if o.Tp == ast.ColumnOptionPrimaryKey && len(pk) == 0 {
				def.PrimaryKey = []string{name}
			}
		}
		if old != nil && !changed[strings.ToLower(name)] {
			if c := old.Column(name); c != nil {
				def.Columns = append(def.Columns, *c)
				continue
			}
		}
		c, err := columnFromDef(cd, charset, collation, mariadb)
		if err != nil {
			return nil, fmt.Errorf("column %s of %s.%s: %w", name, db, table, err)
		}
		if pk[strings.ToLower(name)] {
			c.Nullable = false
		}
		def.Columns = append(def.Columns, c)
	}
	saved, ifNotExists := ct.Table, ct.IfNotExists
	ct.Table, ct.IfNotExists = &ast.TableName{Name: ast.NewCIStr(table)}, false // a definition, not the statement
	q, err := RestoreSQL(ct)
	ct.Table, ct.IfNotExists = saved, ifNotExists
	if err != nil {
		return nil, fmt.Errorf("print the definition of %s.%s: %w", db, table, err)
	}
	def.CreateSQL = q
	return def, nil
}

// columnFromDef describes a column from its definition in a DDL statement,
// the way information_schema.COLUMNS would.
func columnFromDef(cd *ast.ColumnDef, tableCharset, tableCollation string, mariadb bool) (event.Column, error) {
	tp := cd.Tp
	c := event.Column{Name: cd.Name.Name.O, Nullable: true}
	c.ColumnType = strings.ToLower(tp.InfoSchemaStr())
	switch tp.GetType() {
	case mysql.TypeJSON:
		if mariadb { // MariaDB's JSON is an alias of LONGTEXT utf8mb4_bin
			c.ColumnType, tp = "longtext", tp.Clone()
			tp.SetCharset("utf8mb4")
			tp.SetCollate("utf8mb4_bin")
		}
	case mysql.TypeUnspecified:
		return c, fmt.Errorf("type %q is not supported", tp.String())
	case mysql.TypeTiDBVectorFloat32:
		if t := foreignTypeOf(tp.GetFlen()); t != "" { // ddl_mariadb.go
			c.ColumnType = t
		}
	}
	if i := strings.IndexAny(c.ColumnType, "( "); i >= 0 {
		c.DataType = c.ColumnType[:i]
	} else {
		c.DataType = c.ColumnType
	}
	if isTextType(c.DataType) {
		switch {
		case tp.GetCharset() != "":
			c.Charset, c.Collation = NormCharset(tp.GetCharset()), strings.ToLower(tp.GetCollate())
		case tp.GetCollate() != "":
			c.Collation = strings.ToLower(tp.GetCollate())
			c.Charset = collationCharset(c.Collation)
		default:
			c.Charset, c.Collation = tableCharset, tableCollation
		}
		if c.Charset == "" {
			return c, fmt.Errorf("character set unknown (no table or database default known)")
		}
	}
	if m := tp.GetElems(); len(m) > 0 {
		c.Members = append([]string(nil), m...)
	}
	for _, o := range cd.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull, ast.ColumnOptionPrimaryKey:
			c.Nullable = false
		case ast.ColumnOptionCollate:
			c.Collation = strings.ToLower(o.StrValue)
			if isTextType(c.DataType) {
				c.Charset = collationCharset(c.Collation)
			}
		case ast.ColumnOptionGenerated:
			expr, err := RestoreSQL(o.Expr)
			if err != nil {
				return c, err
			}
			c.Generated, c.Stored = expr, o.Stored
		}
	}
	value.DescribeColumn(&c)
	return c, nil
}

// isTextType reports whether a DATA_TYPE carries a character set.
func isTextType(dt string) bool {
	switch dt {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return true
	}
	return false
}

// CreateTableRe matches the start of a CREATE TABLE statement, with IF NOT
// EXISTS (definitions recorded from such a statement by an earlier version
// kept it).
var CreateTableRe = regexp.MustCompile("(?is)^CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`(?:[^`]|``)+`")
