package difffuzz

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// MarkDB is the database of the round marker table; the generator never
// touches it.
const MarkDB = Prefix + "_mark"

// Stmt is one unit the generator makes: statements run in order on one
// session (a transaction's BEGIN ... COMMIT, or one DDL after its USE).
type Stmt struct {
	Class   string   // what it exercises, for the class table
	Extra   []string // further classes it exercises (odd names, comments, ...)
	Session []string // session settings run first (USE, SET sql_mode)
	SQL     []string
}

// Text returns the statement as a script a person can run.
func (s Stmt) Text() string {
	var b strings.Builder
	for _, q := range append(append([]string{}, s.Session...), s.SQL...) {
		b.WriteString(q)
		b.WriteString(";\n")
	}
	return b.String()
}

// Gen makes statements from a seed and the current catalog of the source.
// It is not safe for concurrent use.
type Gen struct {
	r      *rand.Rand
	Cat    *Catalog
	serial int
	// Skip names classes (and column types) not to make: for triage of one
	// class's failure while another is being fixed, never for a run that
	// counts.
	Skip []string
}

// NewGen returns a generator seeded with seed.
func NewGen(seed int64) *Gen { return &Gen{r: rand.New(rand.NewSource(seed))} }

// Classes are the statement classes, each with its weight.
var Classes = []struct {
	Name   string
	Weight int
	make   func(*Gen) (Stmt, bool)
}{
	{"create_database", 2, (*Gen).createDB},
	{"alter_database", 2, (*Gen).alterDB},
	{"create_table", 6, func(g *Gen) (Stmt, bool) { return g.createTable("create_table") }},
	{"create_keyless", 2, func(g *Gen) (Stmt, bool) { return g.createTable("create_keyless") }},
	{"create_partitioned", 1, func(g *Gen) (Stmt, bool) { return g.createTable("create_partitioned") }},
	{"create_foreign_key", 1, (*Gen).createFK},
	{"create_sequence", 1, (*Gen).createSequence},
	{"create_like", 1, (*Gen).createLike},
	{"alter_table", 8, (*Gen).alterTable},
	{"alter_table_options", 3, (*Gen).alterTableOptions},
	{"rename_table", 2, (*Gen).renameTable},
	{"truncate_table", 1, (*Gen).truncateTable},
	{"drop_table", 1, (*Gen).dropTable},
	{"drop_database", 1, (*Gen).dropDB},
	{"dml", 30, (*Gen).dml},
	{"dml_lax_sql_mode", 4, (*Gen).dmlLax},
	{"nextval", 1, (*Gen).nextval},
}

// Next returns the next statement. The catalog must be current.
func (g *Gen) Next() Stmt {
	total := 0
	for _, c := range Classes {
		total += c.Weight
	}
	for {
		n := g.r.Intn(total)
		for _, c := range Classes {
			if n -= c.Weight; n < 0 {
				if slices.Contains(g.Skip, c.Name) {
					break
				}
				if s, ok := c.make(g); ok {
					s.Class = c.Name
					return s
				}
				break
			}
		}
	}
}

// databases returns the fuzzed databases (not the marker's).
func (g *Gen) databases() []string {
	var out []string
	for _, d := range g.Cat.DBs {
		if d != MarkDB && d != Other {
			out = append(out, d)
		}
	}
	return out
}

// tables returns the fuzzed tables that are not sequences; with other,
// Other's tables too.
func (g *Gen) tables(other bool) []*Table {
	var out []*Table
	for _, t := range g.Cat.Tables {
		if !t.Sequence && t.DB != MarkDB && (other || t.DB != Other) {
			out = append(out, t)
		}
	}
	return out
}

func (g *Gen) someDB() (string, bool) {
	dbs := g.databases()
	if len(dbs) == 0 {
		return "", false
	}
	return dbs[g.r.Intn(len(dbs))], true
}

func (g *Gen) someTable() (*Table, bool) {
	ts := g.tables(false)
	if len(ts) == 0 {
		return nil, false
	}
	return ts[g.r.Intn(len(ts))], true
}

func (g *Gen) createDB() (Stmt, bool) {
	name, class := g.dbName()
	q := "CREATE DATABASE " + pick(g.r, "", "IF NOT EXISTS ") + Q(name)
	cs := charsetNames[g.r.Intn(len(charsetNames))]
	if cs == "ucs2" || cs == "utf16" { // not a database default the client can use
		cs = "utf8mb4"
	}
	coll := pick(g.r, charsets[cs]...)
	q += pick(g.r, "", " CHARACTER SET "+cs, " COLLATE "+coll, " DEFAULT CHARSET="+cs+" COLLATE="+coll,
		" COLLATE "+coll+" CHARACTER SET "+cs, " /*!40100 DEFAULT CHARACTER SET "+cs+" */")
	return Stmt{SQL: []string{leadingComment(g.r) + q}, Extra: nonEmpty(class)}, true
}

func (g *Gen) alterDB() (Stmt, bool) {
	db, ok := g.someDB()
	if !ok {
		return Stmt{}, false
	}
	cs := pick(g.r, "latin1", "utf8mb3", "utf8mb4", "ascii", "cp1251", "utf8")
	coll := ""
	if cs != "utf8" {
		coll = pick(g.r, charsets[cs]...)
	}
	opt := " CHARACTER SET " + cs
	if coll != "" {
		opt = pick(g.r, opt, " COLLATE "+coll, opt+" COLLATE "+coll)
	}
	if g.r.Intn(2) == 0 {
		return Stmt{Session: []string{"USE " + Q(db)}, SQL: []string{"ALTER DATABASE" + opt}, Extra: []string{"unnamed_database"}}, true
	}
	return Stmt{SQL: []string{leadingComment(g.r) + "ALTER DATABASE " + Q(db) + opt}}, true
}

// tableOptions returns table options in a random order.
func (g *Gen) tableOptions() string {
	var opts []string
	if g.r.Intn(2) == 0 {
		opts = append(opts, "ENGINE=InnoDB")
	}
	cs := pick(g.r, "latin1", "utf8mb3", "utf8mb4", "ascii", "cp1251")
	coll := pick(g.r, charsets[cs]...)
	switch g.r.Intn(5) {
	case 0:
		opts = append(opts, "DEFAULT CHARSET="+cs)
	case 1:
		opts = append(opts, "COLLATE="+coll)
	case 2:
		opts = append(opts, "CHARACTER SET "+cs, "COLLATE "+coll)
	case 3:
		opts = append(opts, "/*!40101 DEFAULT CHARSET="+cs+" */")
	}
	if g.r.Intn(3) == 0 {
		opts = append(opts, "COMMENT='fuzzed, isn''t it'")
	}
	if g.r.Intn(4) == 0 {
		opts = append(opts, pick(g.r, "ROW_FORMAT=DYNAMIC", "ROW_FORMAT=COMPACT", "AUTO_INCREMENT=1000", "PAGE_COMPRESSED=1"))
	}
	g.r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	return strings.Join(opts, pick(g.r, " ", ", "))
}

func (g *Gen) createTable(kind string) (Stmt, bool) {
	db, ok := g.someDB()
	if !ok {
		return Stmt{}, false
	}
	name, class := g.tableName()
	s := Stmt{Extra: nonEmpty(class)}
	var cols []string
	key := ""
	if kind != "create_keyless" {
		id := pick(g.r, "id INT NOT NULL", "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT", "id VARCHAR(10) NOT NULL", "id INT NOT NULL")
		cols = append(cols, id)
		key = "PRIMARY KEY (id)"
		if g.r.Intn(5) == 0 {
			cols = append(cols, "k2 SMALLINT NOT NULL DEFAULT 0")
			key = "PRIMARY KEY (id, k2)"
		}
		if g.r.Intn(4) == 0 && !strings.Contains(id, "VARCHAR") {
			cols = append(cols, pick(g.r, "g BIGINT AS (id * 2) VIRTUAL", "g BIGINT AS (id + 1) PERSISTENT", "g BIGINT GENERATED ALWAYS AS (id - 1) STORED"))
			s.Extra = append(s.Extra, "generated")
		}
	}
	for i, n := 0, 1+g.r.Intn(5); i < n; i++ {
		def, c := g.columnDef(fmt.Sprintf("c%d", i))
		cols = append(cols, def)
		s.Extra = append(s.Extra, nonEmpty(c)...)
	}
	if key != "" {
		cols = append(cols, key)
	}
	if g.r.Intn(4) == 0 {
		cols = append(cols, "u INT NULL", "UNIQUE KEY uk (u)")
		s.Extra = append(s.Extra, "unique_key")
	}
	q := leadingComment(g.r) + "CREATE TABLE " + pick(g.r, "", "IF NOT EXISTS ") + QT(db, name) + " (" + strings.Join(cols, ", ") + ") " + g.tableOptions()
	if kind == "create_partitioned" {
		q += pick(g.r, " PARTITION BY KEY (id) PARTITIONS 3",
			" /*!50100 PARTITION BY KEY (id) PARTITIONS 2 */")
	}
	if g.r.Intn(10) == 0 {
		q = strings.Replace(q, "CREATE TABLE", "CREATE OR REPLACE TABLE", 1)
		q = strings.Replace(q, "IF NOT EXISTS ", "", 1)
	}
	s.SQL = []string{q}
	return s, true
}

func (g *Gen) createFK() (Stmt, bool) {
	var parents []*Table
	for _, t := range g.tables(false) {
		if len(t.Key) == 1 && t.Columns[0].DataType == "int" && t.Key[0] == t.Columns[0].Name {
			parents = append(parents, t)
		}
	}
	if len(parents) == 0 {
		return Stmt{}, false
	}
	p := parents[g.r.Intn(len(parents))]
	name, class := g.tableName()
	action := pick(g.r, "", " ON DELETE RESTRICT", " ON DELETE CASCADE", " ON DELETE SET NULL", " ON UPDATE CASCADE", " ON DELETE NO ACTION")
	q := "CREATE TABLE " + QT(p.DB, name) + " (id INT PRIMARY KEY, pid INT, v VARCHAR(10), FOREIGN KEY (pid) REFERENCES " +
		QT(p.DB, p.Name) + " (" + Q(p.Key[0]) + ")" + action + ")"
	return Stmt{SQL: []string{q}, Extra: nonEmpty(class)}, true
}

func (g *Gen) createSequence() (Stmt, bool) {
	db, ok := g.someDB()
	if !ok {
		return Stmt{}, false
	}
	g.serial++
	return Stmt{SQL: []string{fmt.Sprintf("CREATE SEQUENCE %s START WITH %d", QT(db, fmt.Sprintf("s%d", g.serial)), g.r.Intn(100))}}, true
}

func (g *Gen) createLike() (Stmt, bool) {
	t, ok := g.someTable()
	if !ok {
		return Stmt{}, false
	}
	g.serial++
	return Stmt{SQL: []string{"CREATE TABLE " + QT(t.DB, fmt.Sprintf("t%d", g.serial)) + " LIKE " + QT(t.DB, t.Name)}}, true
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
