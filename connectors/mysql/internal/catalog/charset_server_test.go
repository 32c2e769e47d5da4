package catalog

import (
	"context"
	"database/sql"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestCharsetDDLMatchesServer runs DDL that sets character sets in the
// ways MariaDB accepts (executable comments with and without a version,
// table options in either order, a collation without its character set)
// on a real server and through the schema history, and compares each
// column's character set and collation, and the database's character set,
// with what information_schema says.
func TestCharsetDDLMatchesServer(t *testing.T) {
	srv := mariadbtest.Start(t, mariadbtest.Options{})
	db := srv.DB(t)
	var version, serverCS, serverCO string
	if err := db.QueryRow("SELECT @@version, @@character_set_server, @@collation_server").Scan(&version, &serverCS, &serverCO); err != nil {
		t.Fatal(err)
	}
	base := "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20)) DEFAULT CHARSET=latin1"
	cases := []struct {
		name  string
		stmts []string
	}{
		{"mariadb comment", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20) /*M! CHARACTER SET utf8mb4 */) DEFAULT CHARSET=latin1"}},
		{"mariadb comment with old version", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20) /*M!100301 CHARACTER SET utf8mb4 */, b TEXT /*M!100301 COLLATE utf8mb4_bin */) CHARSET latin1"}},
		{"mariadb comment with future version", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20) /*M!999999 CHARACTER SET utf8mb4 */) DEFAULT CHARSET=latin1"}},
		{"mysql comment", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20) /*!40101 CHARACTER SET utf8mb4 */, b CHAR(2) /*!99999 CHARACTER SET utf8mb4 */, c CHAR(2) /*!50701 CHARACTER SET utf8mb4 */, d CHAR(2) /*!50600 CHARACTER SET utf8mb4 */, e CHAR(2) /*!100000 CHARACTER SET utf8mb4 */) DEFAULT CHARSET=latin1"}},
		{"comment in a string", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20) DEFAULT '/*M! x */' COMMENT '/*!40101 y */') DEFAULT CHARSET=latin1"}},
		{"alter add in comment", []string{base, "ALTER TABLE t ADD b VARCHAR(5) /*M!100100 CHARACTER SET cp1251 */"}},
		{"alter collate", []string{base, "ALTER TABLE t COLLATE utf8mb4_bin", "ALTER TABLE t ADD b VARCHAR(5)"}},
		{"alter charset collate", []string{base, "ALTER TABLE t CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", "ALTER TABLE t ADD b VARCHAR(5)"}},
		{"alter collate charset", []string{base, "ALTER TABLE t COLLATE utf8mb4_bin CHARACTER SET utf8mb4", "ALTER TABLE t ADD b VARCHAR(5)"}},
		{"alter collate default charset", []string{base, "ALTER TABLE t COLLATE utf8mb4_bin, DEFAULT CHARSET=utf8mb4", "ALTER TABLE t ADD b VARCHAR(5)"}},
		{"alter default charset resets collation", []string{
			"CREATE TABLE t (id INT PRIMARY KEY) DEFAULT CHARSET=latin1 COLLATE=latin1_bin", "ALTER TABLE t DEFAULT CHARSET=utf8mb4", "ALTER TABLE t ADD b VARCHAR(5)"}},
		{"alter collate then columns", []string{base, "ALTER TABLE t COLLATE utf8mb4_bin, ADD b TEXT, ADD c CHAR(1) CHARACTER SET latin1"}},
		{"create collate charset", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5)) COLLATE utf8mb4_bin CHARACTER SET utf8mb4"}},
		{"create collate alone", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5)) COLLATE cp1251_bin"}},
		{"database collate alone", []string{"DROP DATABASE shop", "CREATE DATABASE shop COLLATE utf8mb4_unicode_ci", "USE shop", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5))"}},
		{"convert to", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20), b TINYTEXT, c TEXT, d MEDIUMTEXT, e LONGTEXT, f ENUM('x','y'), g SET('y'), h CHAR(3) CHARACTER SET cp1251, i VARBINARY(4), j BLOB, k VARCHAR(5) BINARY, l TEXT COLLATE latin1_bin) DEFAULT CHARSET=latin1",
			"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", "ALTER TABLE t ADD z VARCHAR(5)"}},
		{"convert to collate and back", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20), b TINYTEXT, c TEXT, d MEDIUMTEXT) DEFAULT CHARSET=utf8mb4",
			"ALTER TABLE t CONVERT TO CHARACTER SET latin1 COLLATE latin1_bin", "ALTER TABLE t ADD z VARCHAR(5)", "ALTER TABLE t CONVERT TO CHARACTER SET ucs2, ADD y TEXT"}},
		{"convert to default", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20), b TEXT) DEFAULT CHARSET=utf8mb4",
			"ALTER TABLE t CONVERT TO CHARACTER SET DEFAULT", "CREATE TABLE t2 LIKE t"}},
		{"enum and set charsets", []string{"CREATE TABLE t (id INT PRIMARY KEY, a SET('p','q') CHARACTER SET utf8mb3 DEFAULT 'p', b ENUM('x') CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, " +
			"c ENUM('y') COLLATE cp1251_bin, d SET('z') CHARACTER SET latin1 NOT NULL DEFAULT 'z' COMMENT 'd', e ENUM('w') DEFAULT 'w') COLLATE utf8mb4_general_ci",
			"ALTER TABLE t ADD f ENUM('v') CHARACTER SET cp1251 DEFAULT 'v'", "ALTER TABLE t COLLATE latin1_bin", "ALTER TABLE t ADD g ENUM('u') DEFAULT 'u'"}},
		{"binary character set", []string{"CREATE TABLE t (id INT PRIMARY KEY, c0 MEDIUMTEXT CHARSET binary COLLATE binary, c1 VARCHAR(3) CHARACTER SET binary, " +
			"c2 TEXT COLLATE binary, c3 ENUM('a') COLLATE binary, c4 CHAR(2) COLLATE binary, c5 SET('b') CHARACTER SET binary) DEFAULT CHARSET=ascii"}},
		{"engine-defined options", []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5)) PAGE_COMPRESSED=1 CHARSET latin1",
			"ALTER TABLE t ADD b TEXT, `PAGE_COMPRESSION_LEVEL`='3'", "CREATE TABLE t2 LIKE t", "ALTER TABLE t2 ADD c INT"}},
		{"create database charset", []string{"DROP DATABASE shop", "CREATE DATABASE shop CHARACTER SET utf8mb3", "USE shop", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5))"}},
		{"create database plain", []string{"DROP DATABASE shop", "CREATE DATABASE shop", "USE shop", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5))"}},
		{"alter database collate", []string{"ALTER DATABASE shop COLLATE cp1251_general_ci", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(5))"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, q := range []string{"DROP DATABASE IF EXISTS shop", "CREATE DATABASE shop CHARACTER SET latin1"} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			ss := NewState(Filter{"shop.*"}, true, map[string]*event.TableDef{})
			ss.Dialect.Version, ss.ServerCharset, ss.ServerCollation = VersionNumber(version), serverCS, serverCO
			ss.Charsets["shop"] = "latin1"
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(context.Background(), "USE shop"); err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.stmts {
				if _, err := conn.ExecContext(context.Background(), q); err != nil {
					t.Fatalf("server: %s: %v", q, err)
				}
				stmts, err := ss.ParseSQL(q)
				if err != nil {
					t.Fatalf("parse %s: %v", q, err)
				}
				for _, st := range stmts {
					if _, err := ss.Apply(st, "shop"); err != nil {
						t.Fatalf("apply %s: %v", q, err)
					}
				}
			}
			compareWithServer(t, db, ss)
		})
	}
}

// compareWithServer compares the history's tables and database character
// sets with the server's information_schema.
func compareWithServer(t *testing.T, db *sql.DB, ss *State) {
	t.Helper()
	var dbCS string
	if err := db.QueryRow("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'shop'").Scan(&dbCS); err != nil {
		t.Fatal(err)
	}
	if got := ss.dbCharset("shop"); got != dbCS {
		t.Errorf("database shop: history %s, server %s", got, dbCS)
	}
	if len(ss.Tables) == 0 {
		t.Fatal("no table in the history")
	}
	for name, def := range ss.Tables {
		want, err := LoadTable(context.Background(), db, def.DB, def.Table)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Columns) != len(def.Columns) {
			t.Fatalf("%s: history %d columns, server %d", name, len(def.Columns), len(want.Columns))
		}
		for i, c := range def.Columns {
			w := want.Columns[i]
			if c.Charset != w.Charset || c.Collation != "" && c.Collation != w.Collation || c.ColumnType != w.ColumnType {
				t.Errorf("%s.%s: history %s %s %s, server %s %s %s", name, c.Name, c.ColumnType, c.Charset, c.Collation, w.ColumnType, w.Charset, w.Collation)
			}
		}
		if _, err := createStmt(def); err != nil {
			t.Errorf("%s: CreateSQL does not parse back: %v\n%s", name, err, def.CreateSQL)
		}
		copyFromCreateSQL(t, db, dbCS, def, want)
	}
}

// copyFromCreateSQL creates def's table from its CreateSQL in a database
// with the same default character set (as a sink creates it) and compares
// its columns with want's, the server's original.
func copyFromCreateSQL(t *testing.T, db *sql.DB, dbCS string, def, want *event.TableDef) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS shop_copy", "CREATE DATABASE shop_copy CHARACTER SET " + dbCS, "USE shop_copy"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.ExecContext(ctx, def.CreateSQL); err != nil {
		t.Errorf("%s: CreateSQL does not run: %v\n%s", def.Name(), err, def.CreateSQL)
		return
	}
	got, err := LoadTable(ctx, db, "shop_copy", def.Table)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want.Columns {
		if i >= len(got.Columns) {
			t.Errorf("%s: the table made from CreateSQL has %d columns, the server's %d", def.Name(), len(got.Columns), len(want.Columns))
			return
		}
		if g := got.Columns[i]; g.ColumnType != w.ColumnType || g.Charset != w.Charset || g.Collation != w.Collation {
			t.Errorf("%s.%s made from CreateSQL: %s %s %s, the server's: %s %s %s\n%s", def.Name(), w.Name,
				g.ColumnType, g.Charset, g.Collation, w.ColumnType, w.Charset, w.Collation, def.CreateSQL)
		}
	}
}
