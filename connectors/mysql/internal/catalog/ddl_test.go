package catalog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/pkg/event"
)

func newTestState(t *testing.T, creates ...string) *State {
	t.Helper()
	ss := NewState(Filter{"shop.*", "shop2.*"}, true, map[string]*event.TableDef{})
	ss.ServerCharset = "latin1"
	for _, q := range creates {
		mustApply(t, ss, q)
	}
	return ss
}

func mustApply(t *testing.T, ss *State, q string) *Change {
	t.Helper()
	stmts, err := ParseSQL(q)
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	ch, err := ss.Apply(stmts[0], "shop")
	if err != nil {
		t.Fatalf("apply %q: %v", q, err)
	}
	return ch
}

// cols renders a table's columns as "name type charset [gen]" for comparison.
func cols(def *event.TableDef) string {
	var out []string
	for _, c := range def.Columns {
		s := c.Name + " " + c.ColumnType
		if c.Charset != "" {
			s += " " + c.Charset
		}
		if !c.Nullable {
			s += " notnull"
		}
		if c.Generated != "" {
			s += " gen"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func TestApplyDDL(t *testing.T) {
	base := "CREATE TABLE t (id INT NOT NULL, a VARCHAR(10), b DECIMAL(10,2), PRIMARY KEY (id)) DEFAULT CHARSET=utf8mb4"
	cases := []struct {
		name  string
		stmts []string
		table string
		cols  string
		pk    []string
	}{
		{"create", nil, "shop.t", "id int notnull, a varchar(10) utf8mb4, b decimal(10,2)", []string{"id"}},
		{"add column after", []string{"ALTER TABLE t ADD COLUMN c ENUM('x','y,z') NOT NULL AFTER id"}, "shop.t",
			"id int notnull, c enum('x','y,z') utf8mb4 notnull, a varchar(10) utf8mb4, b decimal(10,2)", []string{"id"}},
		{"add first and last", []string{"ALTER TABLE shop.t ADD c DATETIME(3) FIRST, ADD d BIGINT UNSIGNED"}, "shop.t",
			"c datetime(3), id int notnull, a varchar(10) utf8mb4, b decimal(10,2), d bigint(20) unsigned", []string{"id"}},
		{"drop column", []string{"ALTER TABLE t DROP COLUMN a"}, "shop.t", "id int notnull, b decimal(10,2)", []string{"id"}},
		{"modify keeps place", []string{"ALTER TABLE t MODIFY a TEXT CHARACTER SET latin1"}, "shop.t",
			"id int notnull, a text latin1, b decimal(10,2)", []string{"id"}},
		{"change renames", []string{"ALTER TABLE t CHANGE a a2 VARCHAR(20) NOT NULL"}, "shop.t",
			"id int notnull, a2 varchar(20) utf8mb4 notnull, b decimal(10,2)", []string{"id"}},
		{"rename column", []string{"ALTER TABLE t RENAME COLUMN b TO b2"}, "shop.t",
			"id int notnull, a varchar(10) utf8mb4, b2 decimal(10,2)", []string{"id"}},
		{"primary key change", []string{"ALTER TABLE t MODIFY a VARCHAR(10) NOT NULL", "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, a)"}, "shop.t",
			"id int notnull, a varchar(10) utf8mb4 notnull, b decimal(10,2)", []string{"id", "a"}},
		{"indexes do not touch columns", []string{"ALTER TABLE t ADD INDEX ia (a)", "ALTER TABLE t DROP INDEX ia", "CREATE INDEX ib ON t (b)"}, "shop.t",
			"id int notnull, a varchar(10) utf8mb4, b decimal(10,2)", []string{"id"}},
		{"rename table", []string{"RENAME TABLE t TO t2"}, "shop.t2", "id int notnull, a varchar(10) utf8mb4, b decimal(10,2)", []string{"id"}},
		{"alter rename", []string{"ALTER TABLE t RENAME TO shop.t3, ADD z INT"}, "shop.t3",
			"id int notnull, a varchar(10) utf8mb4, b decimal(10,2), z int(11)", []string{"id"}},
		{"like", []string{"CREATE TABLE t4 LIKE t", "ALTER TABLE t4 ADD w JSON"}, "shop.t4",
			"id int notnull, a varchar(10) utf8mb4, b decimal(10,2), w longtext utf8mb4", []string{"id"}},
		{"database charset", []string{"CREATE DATABASE shop2 CHARACTER SET cp1251", "CREATE TABLE shop2.u (id INT PRIMARY KEY, s CHAR(3), g INT AS (id+1) VIRTUAL)"}, "shop2.u",
			"id int(11) notnull, s char(3) cp1251, g int(11) gen", []string{"id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ss := newTestState(t, base)
			for _, q := range tc.stmts {
				mustApply(t, ss, q)
			}
			def := ss.Tables[tc.table]
			if def == nil {
				t.Fatalf("no %s; have %v", tc.table, ss.Tables)
			}
			if got := strings.ReplaceAll(cols(def), "int(11)", "int"); got != strings.ReplaceAll(tc.cols, "int(11)", "int") {
				t.Errorf("columns\n got  %s\n want %s", got, tc.cols)
			}
			if !reflect.DeepEqual(def.PrimaryKey, tc.pk) {
				t.Errorf("primary key %v, want %v", def.PrimaryKey, tc.pk)
			}
			if _, err := createStmt(def); err != nil {
				t.Errorf("CreateSQL does not parse back: %v\n%s", err, def.CreateSQL)
			}
		})
	}
}

func TestApplyDDLDropsAndScope(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE t (id INT PRIMARY KEY)", "CREATE TABLE u (id INT PRIMARY KEY)")
	if ch := mustApply(t, ss, "CREATE TABLE other.x (id INT PRIMARY KEY)"); ch.Relevant || ss.Tables["other.x"] != nil {
		t.Errorf("unselected table entered the history: %+v", ch)
	}
	if ch := mustApply(t, ss, "DROP TABLE IF EXISTS t, other.x"); !reflect.DeepEqual(ch.Dropped, []string{"shop.t"}) {
		t.Errorf("dropped %v", ch.Dropped)
	}
	if ch := mustApply(t, ss, "TRUNCATE u"); !reflect.DeepEqual(ch.Truncated, []string{"shop.u"}) {
		t.Errorf("truncated %v", ch.Truncated)
	}
	if ch := mustApply(t, ss, "DROP DATABASE shop"); !ch.Relevant || len(ss.Tables) != 0 || !reflect.DeepEqual(ch.Databases, []string{"shop"}) {
		t.Errorf("drop database: %+v, left %v", ch, ss.Tables)
	}
	if ch := mustApply(t, ss, "CREATE DATABASE shop"); !ch.Relevant {
		t.Errorf("create database not relevant")
	}
	if ch := mustApply(t, ss, "RENAME TABLE other.x TO shop.x"); !reflect.DeepEqual(ch.LoadNow, []string{"shop.x"}) || len(ch.Renamed) != 0 {
		t.Errorf("renamed in from outside tables: %+v", ch)
	}
	mustApply(t, ss, "CREATE TABLE shop.y (id INT PRIMARY KEY)")
	if ch := mustApply(t, ss, "RENAME TABLE shop.y TO other.y"); !reflect.DeepEqual(ch.Dropped, []string{"shop.y"}) || len(ch.Renamed) != 0 || ss.Tables["shop.y"] != nil {
		t.Errorf("renamed out of tables: %+v", ch)
	}
	if ch := mustApply(t, ss, "GRANT SELECT ON shop.* TO u"); ch.Relevant {
		t.Errorf("grant relevant")
	}
}

func TestApplyDDLErrors(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	for _, q := range []string{
		"ALTER TABLE t DROP COLUMN nope",
		"ALTER TABLE missing ADD x INT",
		"ALTER TABLE t CONVERT TO CHARACTER SET binary",
		"CREATE TABLE y LIKE other.x",
	} {
		stmts, err := ParseSQL(q)
		if err != nil {
			t.Fatalf("parse %q: %v", q, err)
		}
		if _, err := ss.Apply(stmts[0], "shop"); err == nil {
			t.Errorf("%q: no error", q)
		}
	}
	for _, q := range []string{"CREATE TABLE t (id INET6 PRIMARY KEY)", "ALTER TABLE t ADD COLUMN x INT", "CREATE OR REPLACE TABLE t (id INT)"} {
		if !LooksLikeTableDDL(q) {
			t.Errorf("%q not recognised as DDL", q)
		}
	}
	for _, q := range []string{"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET @a = 1", "CREATE USER u", "INSERT INTO t VALUES (1)"} {
		if LooksLikeTableDDL(q) {
			t.Errorf("%q recognised as table DDL", q)
		}
	}
}

func TestOnlineSchemaChange(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE ghost (id INT PRIMARY KEY, v INT NOT NULL)",
		"CREATE TABLE pt (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)", "CREATE TABLE x (id INT PRIMARY KEY, v INT NOT NULL)")
	for _, q := range []string{
		"CREATE TABLE /* gh-ost */ `shop`.`_ghost_gho` LIKE `shop`.`ghost`",
		"ALTER /* gh-ost */ TABLE `shop`.`_ghost_gho` ADD COLUMN c INT NULL",
		"CREATE TABLE `shop`.`_ghost_ghc` (id BIGINT PRIMARY KEY, hint VARCHAR(64))",
		"CREATE TABLE `shop`.`_pt_new` (`id` int(11) NOT NULL, `v` int(11) NOT NULL, PRIMARY KEY (`id`))",
		"ALTER TABLE `shop`.`_pt_new` ADD COLUMN d VARCHAR(5) NULL, ADD INDEX iv (v)",
		"CREATE TABLE `shop`.`_x_new` (id INT PRIMARY KEY, w INT NULL)",
	} {
		if ch := mustApply(t, ss, q); ch.Relevant {
			t.Errorf("%q on a shadow table reaches the sinks", q)
		}
	}
	ch := mustApply(t, ss, "RENAME /* gh-ost */ TABLE `shop`.`ghost` TO `shop`.`_ghost_del`, `shop`.`_ghost_gho` TO `shop`.`ghost`")
	d := ch.ForSinks("RENAME ...", "shop")
	if want := []string{"ALTER TABLE `shop`.`ghost` ADD COLUMN `c` INT NULL"}; !reflect.DeepEqual(d.Statements, want) {
		t.Errorf("gh-ost cut-over statements %q, want %q", d.Statements, want)
	}
	if len(d.Tables) != 1 || d.Tables[0].Name() != "shop.ghost" || d.Tables[0].Column("c") == nil || len(d.Renamed) != 0 {
		t.Errorf("gh-ost cut-over marker %+v", d)
	}
	if ch := mustApply(t, ss, "DROP TABLE IF EXISTS `shop`.`_ghost_del`, `shop`.`_ghost_ghc`"); ch.Relevant {
		t.Errorf("dropping gh-ost's tables reaches the sinks")
	}
	ch = mustApply(t, ss, "RENAME TABLE `shop`.`pt` TO `shop`.`_pt_old`, `shop`.`_pt_new` TO `shop`.`pt`")
	if want := []string{"ALTER TABLE `shop`.`pt` ADD COLUMN `d` VARCHAR(5) NULL, ADD INDEX `iv`(`v`)"}; !reflect.DeepEqual(ch.SinkStmts, want) {
		t.Errorf("pt-osc cut-over statements %q, want %q", ch.SinkStmts, want)
	}
	ch = mustApply(t, ss, "RENAME TABLE `shop`.`x` TO `shop`.`_x_old`, `shop`.`_x_new` TO `shop`.`x`")
	if len(ch.SinkStmts) != 5 || !strings.HasPrefix(ch.SinkStmts[2], "INSERT INTO `shop`.`_x_sluice_new` (`id`) SELECT `id` FROM `shop`.`x`") {
		t.Errorf("cut-over of a copy that is not a clone: %q", ch.SinkStmts)
	}
}

// TestOnlineSchemaChangeReplay: a reader restarted in the middle of a
// migration rebuilds it from the history records of the shadow table.
func TestOnlineSchemaChangeReplay(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE ghost (id INT PRIMARY KEY, v INT NOT NULL)")
	recs := map[string][]*event.SchemaRecord{}
	for i, q := range []string{"CREATE TABLE _ghost_gho LIKE ghost", "ALTER TABLE _ghost_gho ADD COLUMN c INT NULL", "ALTER TABLE _ghost_gho ADD INDEX ic (c)"} {
		mustApply(t, ss, q)
		def := *ss.Tables["shop._ghost_gho"]
		r := &event.SchemaRecord{Seq: event.MakeSeq(1, uint64(100+i), 0), Table: def, Statement: q}
		recs["shop._ghost_gho"] = append(recs["shop._ghost_gho"], r, r) // written twice by a restarted reader
	}
	fresh := NewState(ss.filter, true, ss.Tables)
	fresh.ReplayShadows(recs)
	ch := mustApply(t, fresh, "RENAME TABLE ghost TO _ghost_del, _ghost_gho TO ghost")
	want := []string{"ALTER TABLE `shop`.`ghost` ADD COLUMN `c` INT NULL", "ALTER TABLE `shop`.`ghost` ADD INDEX `ic`(`c`)"}
	if !reflect.DeepEqual(ch.SinkStmts, want) {
		t.Errorf("cut-over after a restart: %q, want %q", ch.SinkStmts, want)
	}
}

func TestMariaDBSyntax(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE t (id INT PRIMARY KEY)")
	mustApply(t, ss, "ALTER ONLINE TABLE t ADD COLUMN a INT")
	mustApply(t, ss, "ALTER TABLE shop.t WAIT 5 ADD COLUMN b INT, ALGORITHM=NOCOPY")
	mustApply(t, ss, "ALTER TABLE `t` NOWAIT ADD COLUMN c INT")
	if got := cols(ss.Tables["shop.t"]); got != "id int(11) notnull, a int(11), b int(11), c int(11)" {
		t.Errorf("columns %s", got)
	}
	stmts, err := ParseSQL("CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, z INT)")
	if err != nil || len(stmts) != 2 {
		t.Fatalf("CREATE OR REPLACE: %v, %d statements", err, len(stmts))
	}
	for _, st := range stmts {
		if _, err := ss.Apply(st, "shop"); err != nil {
			t.Fatal(err)
		}
	}
	if got := cols(ss.Tables["shop.t"]); got != "id int(11) notnull, z int(11)" {
		t.Errorf("after CREATE OR REPLACE: %s", got)
	}
}

// TestOnlineSchemaChangeTwoStep: gh-ost's cut-over in two statements (the
// original moved aside, then the copy moved in) still sends the ALTERs.
func TestOnlineSchemaChangeTwoStep(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE g (id INT PRIMARY KEY, v INT NOT NULL)")
	mustApply(t, ss, "CREATE TABLE _g_gho LIKE g")
	mustApply(t, ss, "ALTER TABLE _g_gho DROP COLUMN v")
	if ch := mustApply(t, ss, "RENAME TABLE g TO _g_del"); ch.Relevant {
		t.Errorf("moving the original aside reaches the sinks: %+v", ch)
	}
	ch := mustApply(t, ss, "RENAME TABLE _g_gho TO g")
	if want := []string{"ALTER TABLE `shop`.`g` DROP COLUMN `v`"}; !reflect.DeepEqual(ch.SinkStmts, want) {
		t.Errorf("two-step cut-over: %q, want %q", ch.SinkStmts, want)
	}
	if got := cols(ss.Tables["shop.g"]); got != "id int(11) notnull" && got != "id int notnull" {
		t.Errorf("g after the cut-over: %s", got)
	}
}

// TestDatabaseCharsets: a database's default character set comes from its
// CHARACTER SET or the character set of its COLLATE, by CREATE or ALTER
// DATABASE, with or without a name (the current database); tables created
// in it without their own take it, and the ALTER reaches the sinks.
func TestDatabaseCharsets(t *testing.T) {
	ss := NewState(Filter{"shop.*", "shop2.*", "shop3.*"}, true, map[string]*event.TableDef{})
	ss.ServerCharset = "latin1"
	apply := func(q, schema string) *Change {
		t.Helper()
		stmts, err := ParseSQL(q)
		if err != nil {
			t.Fatalf("parse %q: %v", q, err)
		}
		ch, err := ss.Apply(stmts[0], schema)
		if err != nil {
			t.Fatalf("apply %q: %v", q, err)
		}
		return ch
	}
	apply("CREATE DATABASE shop2 COLLATE utf8mb4_unicode_ci", "")
	if ch := apply("ALTER DATABASE CHARACTER SET utf8mb3", "shop"); !ch.Relevant || len(ch.Databases) != 1 || ch.Databases[0] != "shop" {
		t.Errorf("ALTER DATABASE of the current database: %+v, want it relevant to the sinks for shop", ch)
	}
	apply("CREATE DATABASE shop3", "")
	apply("ALTER DATABASE shop3 CHARACTER SET utf8mb4", "shop")
	if ss.Charsets[""] != "" {
		t.Errorf("a charset was recorded under the empty name: %q", ss.Charsets[""])
	}
	for db, want := range map[string]string{"shop": "utf8mb3", "shop2": "utf8mb4", "shop3": "utf8mb4"} {
		apply("CREATE TABLE "+db+".t (id INT PRIMARY KEY, s VARCHAR(10))", "")
		if got := ss.Tables[db+".t"].Columns[1].Charset; got != want {
			t.Errorf("%s.t.s: charset %q, want %q", db, got, want)
		}
	}
}

// TestLooksLikeTableDDL: leading comments of every kind do not hide a
// table or database change (an unparsable one must stop the reader or be
// read from the server, never pass as "not DDL").
func TestLooksLikeTableDDL(t *testing.T) {
	for q, want := range map[string]bool{
		"-- widen\nALTER TABLE t MODIFY s VARCHAR(10) UNICODE":         true,
		"# widen\nALTER TABLE t MODIFY s VARCHAR(10)":                  true,
		"/* a */ -- b\n# c\n  /*!40101 x */ DROP TABLE t":              true,
		"--\nCREATE TABLE t (id INT)":                                  true,
		"/*M! comment */ RENAME TABLE a TO b":                          true,
		"-- just a comment\nCREATE PROCEDURE p() BEGIN SELECT 1; END":  false,
		"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1": false,
		"--ALTER TABLE t ADD c INT":                                    false, // not a comment: "--" needs a space
		"GRANT ALL ON *.* TO u":                                        false,
	} {
		if got := LooksLikeTableDDL(q); got != want {
			t.Errorf("LooksLikeTableDDL(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestCascadingForeignKeysInDDL: a CREATE or ALTER TABLE that gives a
// selected table a foreign key with a cascading action says so.
func TestCascadingForeignKeysInDDL(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE p (id INT PRIMARY KEY)")
	for q, want := range map[string]string{
		"CREATE TABLE c1 (id INT PRIMARY KEY, pid INT, CONSTRAINT f1 FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE)":        "shop.c1 foreign key `f1` references shop.p ON DELETE CASCADE ON UPDATE RESTRICT",
		"CREATE TABLE c2 (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id) ON DELETE RESTRICT ON UPDATE NO ACTION)": "",
		"CREATE TABLE other.c3 (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES shop.p (id) ON DELETE CASCADE)":           "",
		"ALTER TABLE p ADD CONSTRAINT f4 FOREIGN KEY (id) REFERENCES shop2.q (id) ON UPDATE SET NULL":                               "shop.p foreign key `f4` references shop2.q ON DELETE RESTRICT ON UPDATE SET NULL",
	} {
		ch := mustApply(t, ss, q)
		got := strings.Join(ch.Cascading, "; ")
		if got != want {
			t.Errorf("%s:\n got %q\nwant %q", q, got, want)
		}
	}
}

// TestStripColumnInvisible: MariaDB's INVISIBLE column attribute is taken
// out for the parser, but not inside names, strings or comments, and not
// MySQL's ALTER INDEX i INVISIBLE.
func TestForParser(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE TABLE t (a INT INVISIBLE, b INT)":                  "CREATE TABLE t (a INT STORAGE MEMORY, b INT)",
		"CREATE TABLE t (a INT, g INT AS (a + 1) PERSISTENT)":      "CREATE TABLE t (a INT, g INT AS (a + 1) STORED)",
		"CREATE TABLE t (a INT) `PAGE_COMPRESSED`='1'":             "CREATE TABLE t (a INT) CONNECTION = 'sluice_engine_option:60504147455f434f4d50524553534544603d273127'",
		"CREATE TABLE t (persistent INT, STATS_PERSISTENT INT)":    "CREATE TABLE t (persistent INT, STATS_PERSISTENT INT)",
		"ALTER TABLE t ADD c INT NULL invisible DEFAULT 3":         "ALTER TABLE t ADD c INT NULL STORAGE MEMORY DEFAULT 3",
		"ALTER TABLE t MODIFY `invisible` INT COMMENT 'invisible'": "ALTER TABLE t MODIFY `invisible` INT COMMENT 'invisible'",
		"ALTER TABLE t ALTER INDEX i INVISIBLE":                    "ALTER TABLE t ALTER INDEX i INVISIBLE",
		"CREATE TABLE t (a INT /* invisible */, b INT)":            "CREATE TABLE t (a INT /* invisible */, b INT)",
		"CREATE TABLE t (a INT /*M! INVISIBLE */)":                 "CREATE TABLE t (a INT /*M! STORAGE MEMORY */)",
	} {
		if got := forParser(in); got != want {
			t.Errorf("forParser(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := ParseSQL("CREATE TABLE t (id INT PRIMARY KEY, a MEDIUMINT INVISIBLE, u INT NULL, UNIQUE KEY uk (u))"); err != nil {
		t.Errorf("a table with an invisible column does not parse: %v", err)
	}
	// Spatial and MariaDB-only types parse, print back under their names
	// and describe the column as information_schema would; a column named
	// like a type and a function of that name are left alone.
	q := "CREATE TABLE t (id INT PRIMARY KEY, a MEDIUMINT INVISIBLE, point INT, g GEOMETRY NOT NULL, p point, i6 INET6, u UUID DEFAULT UUID(), " +
		"`x` POINT, SPATIAL INDEX (g))"
	stmts, err := ParseSQL(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := RestoreSQL(stmts[0])
	if err != nil || !strings.Contains(out, "`g` GEOMETRY NOT NULL") || !strings.Contains(out, "`p` POINT") ||
		!strings.Contains(out, "`i6` INET6") || !strings.Contains(out, "`point` INT") || !strings.Contains(out, "UUID()") ||
		!strings.Contains(out, "SPATIAL INDEX(`g`)") || !strings.Contains(out, "`a` MEDIUMINT INVISIBLE") {
		t.Errorf("restored %s (%v)", out, err)
	}
	for in, want := range map[string]string{
		"CREATE SPATIAL INDEX sp ON t (g)":        "CREATE SPATIAL INDEX `sp` ON `t` (`g`)",
		"ALTER TABLE t ADD SPATIAL KEY `s k` (g)": "ALTER TABLE `t` ADD SPATIAL INDEX `s k`(`g`)",
	} {
		st, err := ParseSQL(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got, err := RestoreSQL(st[0]); got != want {
			t.Errorf("%s restored as %s (%v), want %s", in, got, err, want)
		}
	}
	// Expression defaults TiDB cannot parse print back as written.
	for in, want := range map[string]string{
		"CREATE TABLE t (c0 MEDIUMINT UNSIGNED DEFAULT (1 + 1), c1 INT DEFAULT (`id` * 2), c2 VARCHAR(9) DEFAULT ('a)(b'))": "DEFAULT (1 + 1),`c1` INT DEFAULT (`id` * 2),`c2` VARCHAR(9) DEFAULT ('a)(b'))",
		"ALTER TABLE t ALTER COLUMN c SET DEFAULT (1 + 1)":                                                                  "ALTER TABLE `t` ALTER COLUMN `c` SET DEFAULT (1 + 1)",
	} {
		st, err := ParseSQL(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got, err := RestoreSQL(st[0]); err != nil || !strings.Contains(got, want) {
			t.Errorf("%s restored as %s (%v), want it to hold %s", in, got, err, want)
		}
	}
	for _, q := range []string{"/* c */ CREATE OR REPLACE TABLE t (id INT PRIMARY KEY)", "-- c\n# d\nALTER ONLINE TABLE t ADD c INT",
		"/* c */ ALTER TABLE t WAIT 3 ADD c INT"} {
		if _, err := ParseSQL(q); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	def, err := tableFromCreate(stmts[0].(*ast.CreateTableStmt), "d", "t", nil, nil, "utf8mb4", true)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"g": "geometry", "p": "point", "i6": "inet6", "u": "uuid", "point": "int"} {
		if c := def.Column(name); c == nil || c.DataType != want {
			t.Errorf("column %s: %+v, want data type %s", name, c, want)
		}
	}
}

// TestDefinitionFromCreateIfNotExists: a table created by CREATE TABLE IF
// NOT EXISTS is recorded as a definition, without the clause, which the
// sinks' CREATE from a definition expects (found by the differential
// fuzzer: the sink retried "unexpected definition" until it gave up).
func TestDefinitionFromCreateIfNotExists(t *testing.T) {
	stmts, err := ParseSQL("CREATE TABLE IF NOT EXISTS d.t (id INT PRIMARY KEY, c FLOAT(10,2) COMMENT 'c''s')")
	if err != nil {
		t.Fatal(err)
	}
	def, err := tableFromCreate(stmts[0].(*ast.CreateTableStmt), "d", "t", nil, nil, "utf8mb4", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(def.CreateSQL, "CREATE TABLE `t`") || !CreateTableRe.MatchString(def.CreateSQL) {
		t.Errorf("definition %q", def.CreateSQL)
	}
	if !CreateTableRe.MatchString("CREATE TABLE IF NOT EXISTS `t` (id INT)") {
		t.Error("CreateTableRe does not take a definition recorded with IF NOT EXISTS")
	}
}

// TestCreateLikeDefinition: CREATE TABLE ... LIKE records the original's
// definition under the new name without its foreign keys (the server does
// not copy them) but with the index a foreign key made.
func TestCreateLikeDefinition(t *testing.T) {
	ss := newTestState(t, "CREATE TABLE shop.p (id INT PRIMARY KEY)",
		"CREATE TABLE shop.c (id INT PRIMARY KEY, pid INT, v VARCHAR(10) CHARACTER SET latin1, FOREIGN KEY (pid) REFERENCES shop.p (id))")
	mustApply(t, ss, "CREATE TABLE shop.c2 LIKE shop.c")
	def := ss.Tables["shop.c2"]
	if def == nil || strings.Contains(def.CreateSQL, "FOREIGN KEY") || !strings.HasPrefix(def.CreateSQL, "CREATE TABLE `c2`") ||
		!strings.Contains(def.CreateSQL, "INDEX `pid`(`pid`)") || !strings.Contains(strings.ToLower(def.CreateSQL), "latin1") {
		t.Fatalf("definition of the LIKE copy: %+v", def)
	}
}

// TestRestoreBinaryCollate: a statement printed back (as a sink does to
// add IF NOT EXISTS) leaves out COLLATE binary after a binary type, which
// the server refuses, and keeps the statement's AST as it was.
func TestRestoreBinaryCollate(t *testing.T) {
	stmts, err := ParseSQL("CREATE TABLE t (a TINYBLOB COLLATE binary, b VARBINARY(3) COLLATE binary NOT NULL, c TEXT COLLATE binary, d ENUM('x') COLLATE binary)")
	if err != nil {
		t.Fatal(err)
	}
	got, err := RestoreSQL(stmts[0])
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE TABLE `t` (`a` TINYBLOB,`b` VARBINARY(3) NOT NULL,`c` TEXT COLLATE binary,`d` ENUM('x') COLLATE binary)"
	if got != want {
		t.Errorf("RestoreSQL = %s\nwant        %s", got, want)
	}
	if again, _ := RestoreSQL(stmts[0]); again != got {
		t.Errorf("the second print differs: %s", again)
	}
}
