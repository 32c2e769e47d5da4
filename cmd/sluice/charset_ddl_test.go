package main

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestCharsetDDL streams DDL that gives text columns their character set
// in the ways MariaDB reads and that a schema history can misread:
// MariaDB executable comments (/*M! ... */, /*M!100301 ... */, and one
// naming a future version, which the server skips), table options in
// either order (COLLATE alone, COLLATE before CHARACTER SET, DEFAULT
// CHARSET= after COLLATE=), and databases given a collation without a
// character set. Misread, text is decoded with the wrong character set
// and 'é€Ω' arrives as 'Ã©â‚¬Î©'. Each column must hold the source's bytes
// on the replica and have the source's character set and collation.
func TestCharsetDDL(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop CHARACTER SET latin1;
CREATE TABLE shop.base (id INT PRIMARY KEY, s VARCHAR(20));
INSERT INTO shop.base VALUES (0, 'first')`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, `tables: ["shop.*"]`, `tables: ["shop.*", "shop2.*"]`)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base")

	const text = "'é€Ω'"
	e2e.SessionExec(t, sdb, "USE shop",
		"CREATE TABLE shop.comments (id INT PRIMARY KEY, a VARCHAR(20) /*M! CHARACTER SET utf8mb4 */, "+
			"b VARCHAR(20) /*M!100301 CHARACTER SET utf8mb4 */, c VARCHAR(20) /*M!999999 CHARACTER SET latin2 */ CHARACTER SET utf8mb4) DEFAULT CHARSET=latin1",
		"INSERT INTO shop.comments VALUES (1, "+text+", "+text+", "+text+")",
		"CREATE TABLE shop.collate_alone (id INT PRIMARY KEY, a VARCHAR(20)) DEFAULT CHARSET=latin1",
		"ALTER TABLE shop.collate_alone COLLATE utf8mb4_bin",
		"ALTER TABLE shop.collate_alone ADD b VARCHAR(20)",
		"INSERT INTO shop.collate_alone VALUES (1, 'e', "+text+")",
		"CREATE TABLE shop.collate_first (id INT PRIMARY KEY) DEFAULT CHARSET=latin1",
		"ALTER TABLE shop.collate_first COLLATE utf8mb4_unicode_ci CHARACTER SET utf8mb4",
		"ALTER TABLE shop.collate_first ADD b VARCHAR(20)",
		"INSERT INTO shop.collate_first VALUES (1, "+text+")",
		"CREATE TABLE shop.charset_last (id INT PRIMARY KEY) DEFAULT CHARSET=latin1 COLLATE=latin1_bin",
		"ALTER TABLE shop.charset_last COLLATE=utf8mb4_bin, DEFAULT CHARSET=utf8mb4",
		"ALTER TABLE shop.charset_last ADD b VARCHAR(20)",
		"INSERT INTO shop.charset_last VALUES (1, "+text+")",
		"CREATE DATABASE shop2 COLLATE utf8mb4_unicode_ci",
		"CREATE TABLE shop2.t (id INT PRIMARY KEY, b VARCHAR(20))",
		"INSERT INTO shop2.t VALUES (1, "+text+")",
		"ALTER DATABASE shop COLLATE utf8mb4_general_ci",
		"CREATE TABLE shop.after_db (id INT PRIMARY KEY, b TEXT)",
		"INSERT INTO shop.after_db VALUES (1, "+text+")")
	tables := []string{"shop.comments", "shop.collate_alone", "shop.collate_first", "shop.charset_last", "shop2.t", "shop.after_db"}
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, tables...)

	for _, table := range tables {
		db, tb, _ := strings.Cut(table, ".")
		for _, side := range []struct {
			name string
			db   *sql.DB
		}{{"source", sdb}, {"replica", ddb}} {
			if got := textColumns(t, side.db, db, tb); got != textColumns(t, sdb, db, tb) {
				t.Errorf("%s on the %s: %s, on the source %s", table, side.name, got, textColumns(t, sdb, db, tb))
			}
		}
	}
	// The bytes: every text column that is not 'e' holds C3A9E282ACCEA9.
	for _, table := range tables {
		db, tb, _ := strings.Cut(table, ".")
		for _, c := range strings.Fields(textColumnNames(t, sdb, db, tb)) {
			var hex string
			q := "SELECT HEX(" + c + ") FROM " + table + " WHERE id = 1"
			if err := ddb.QueryRow(q).Scan(&hex); err != nil {
				t.Fatal(err)
			}
			if hex != "C3A9E282ACCEA9" && hex != "65" {
				t.Errorf("%s.%s on the replica: %s, want the source's C3A9E282ACCEA9", table, c, hex)
			}
		}
	}
	if exited, _ := p.Exited(); exited {
		t.Fatalf("sluice stopped:\n%s", e2e.Tail(p.Log(), 30))
	}
}

// textColumns is "name charset collation, ..." of db.table's text columns.
func textColumns(t *testing.T, d *sql.DB, db, table string) string {
	t.Helper()
	var s sql.NullString
	if err := d.QueryRow(`SELECT GROUP_CONCAT(CONCAT_WS(' ', COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME) ORDER BY ORDINAL_POSITION SEPARATOR ', ')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CHARACTER_SET_NAME IS NOT NULL`, db, table).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}

// textColumnNames is the names of db.table's text columns, space separated.
func textColumnNames(t *testing.T, d *sql.DB, db, table string) string {
	t.Helper()
	var s sql.NullString
	if err := d.QueryRow(`SELECT GROUP_CONCAT(COLUMN_NAME SEPARATOR ' ') FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CHARACTER_SET_NAME IS NOT NULL`, db, table).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}
