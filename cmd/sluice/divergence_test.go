package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestDDLFromTheWild replays, on real servers, DDL that once made a replica
// differ from its source without a word or stopped the pipeline:
//   - empty tables, at the snapshot and created while streaming, must be
//     on the replica though no row ever names them;
//   - ALTER DATABASE ... CHARACTER SET without a name (the current
//     database): tables created afterwards must get the same column character sets on
//     the replica, and non-latin1 text must arrive byte for byte;
//   - a DDL that starts with "-- " and "#" comment lines;
//   - a sequence (CREATE SEQUENCE, NEXTVAL) in a captured database: left
//     out with one log line, never a stop;
//   - an unparsable DDL of an unselected table, read back from the server:
//     the selected tables did not change, so the sinks do not run it.
func TestDDLFromTheWild(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop CHARACTER SET latin1;
CREATE TABLE shop.empty0 (id INT PRIMARY KEY);
CREATE TABLE shop.base (id INT PRIMARY KEY, s VARCHAR(20));
INSERT INTO shop.base VALUES (0, 'first')`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base")

	e2e.SessionExec(t, sdb, "USE shop", "ALTER DATABASE CHARACTER SET utf8mb4",
		"CREATE TABLE shop.wide (id INT PRIMARY KEY, s VARCHAR(20))",
		"INSERT INTO shop.wide VALUES (1, 'é€Ω'), (2, '🍑')",
		"-- widen the column\n# twice commented\nALTER TABLE shop.base MODIFY s VARCHAR(40)",
		"INSERT INTO shop.base VALUES (1, 'forty characters wide, more than twenty')",
		"CREATE TABLE shop.empty_later (id INT PRIMARY KEY)",
		"CREATE SEQUENCE shop.seq",
		"SELECT NEXTVAL(shop.seq)",
		"INSERT INTO shop.base VALUES (2, 'after the sequence')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base", "shop.wide")

	for _, table := range []string{"shop.empty0", "shop.empty_later"} {
		if !e2e.HasTable(ddb, table) {
			t.Errorf("%s, empty on the source, is missing on the replica", table)
		}
	}
	var hex string
	if err := ddb.QueryRow("SELECT HEX(s) FROM shop.wide WHERE id = 1").Scan(&hex); err != nil || hex != "C3A9E282ACCEA9" {
		t.Errorf("shop.wide row 1 on the replica: %s (%v), want the source's bytes C3A9E282ACCEA9", hex, err)
	}
	colCharset := `SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'wide' AND COLUMN_NAME = 's'`
	var want, got string
	if err := sdb.QueryRow(colCharset).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if err := ddb.QueryRow(colCharset).Scan(&got); err != nil || got != want {
		t.Errorf("shop.wide.s on the replica: character set %q (%v), on the source %q", got, err, want)
	}
	// An unparsable DDL of a table outside the selection, read from the
	// server while caught up: no selected table changed, so the sinks must
	// not run it (the replica has no database other).
	e2e.ExecAll(t, sdb, "CREATE DATABASE other;\nCREATE TABLE other.t (id INT PRIMARY KEY, v INT NOT NULL, INDEX iv (v) IGNORED)")
	e2e.WaitFor(t, 30*time.Second, "the fallback for the unparsable DDL", func() bool {
		return strings.Contains(p.Log(), "its result was read from the server")
	})
	e2e.MustExec(t, sdb, "INSERT INTO shop.base VALUES (3, 'after the unparsable DDL')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base", "shop.wide")
	if e2e.HasTable(ddb, "other.t") {
		t.Error("a DDL of a table outside the selection ran on the replica")
	}
	if n := strings.Count(p.Log(), "sequence left out"); n != 1 {
		t.Errorf("the sequence was reported %d times, want once:\n%s", n, e2e.Tail(p.Log(), 20))
	}
	if exited, _ := p.Exited(); exited {
		t.Fatalf("sluice stopped:\n%s", e2e.Tail(p.Log(), 30))
	}
}

// TestAmbiguousNamesRefused: `a.b`.`c` and `a`.`b.c` would share one
// "db.table" name on the sinks, so one table's rows would overwrite the
// other's on the replica. Until names are escaped, a table in a database
// whose name holds a '.' is refused by sluice check, naming it, and
// quarantined by the source, at start and when a DDL creates one, while
// every other table flows; renamed into a plain database it is copied and
// its quarantine ends.
func TestAmbiguousNamesRefused(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE `a.b`;\nCREATE DATABASE a;\n"+
		"CREATE TABLE `a.b`.c (id INT PRIMARY KEY, v INT);\nCREATE TABLE a.`b.c` (id INT PRIMARY KEY, v INT);\n"+
		"INSERT INTO `a.b`.c VALUES (1, 10);\nINSERT INTO a.`b.c` VALUES (1, 20)")
	cfg, admin := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, `    tables: ["shop.*"]`+"\n", `    tables: ["a*.*"]`+"\n")
	if code, out := e2e.Run(t, "check", "--config", cfg, "--connector", "src"); code != 1 || !strings.Contains(out, "a '.' in a database name") {
		t.Errorf("sluice check exited %d without naming the ambiguous table:\n%s", code, out)
	}
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	procs := []*e2e.Proc{p}
	q := waitQuarantined(t, admin, "src", "`a.b`.`c`", true, procs)
	e2e.MustContain(t, "the quarantine in /status", q.Reason+" "+q.Fix+" "+q.Kind,
		"table `a.b`.`c`", "a '.' in a database name", "rename the database", "ambiguous_name")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, procs, "a.`b.c`")

	e2e.ExecAll(t, sdb, "CREATE TABLE `a.b`.d (id INT PRIMARY KEY);\nINSERT INTO `a.b`.d VALUES (5);\nINSERT INTO a.`b.c` VALUES (2, 30);\n"+
		"UPDATE `a.b`.c SET v = 11;\nINSERT INTO `a.b`.c VALUES (2, 12)")
	waitQuarantined(t, admin, "src", "`a.b`.`d`", true, procs)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, procs, "a.`b.c`")
	var n int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'a.b'").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d tables of a.b reached the replica (%v), want none", n, err)
	}
	if v := 0; ddb.QueryRow("SELECT v FROM a.`b.c` WHERE id = 1").Scan(&v) != nil || v != 20 {
		t.Errorf("a.`b.c` row 1 on the replica: v = %d, want 20 (a.b.c's rows must not land there)", v)
	}

	e2e.MustExec(t, sdb, "RENAME TABLE `a.b`.c TO a.moved")
	waitQuarantined(t, admin, "src", "`a.b`.`c`", false, procs)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, procs, "a.moved", "a.`b.c`")
	if exited, _ := p.Exited(); exited {
		t.Fatalf("sluice stopped:\n%s", e2e.Tail(p.Log(), 30))
	}
}

// TestRowOverReplicaPacket: a row the source took but that does not fit
// the replica's max_allowed_packet stops the sink at once with an error
// naming max_allowed_packet and the value to set, instead of retrying
// "connection reset by peer" until it gives up.
func TestRowOverReplicaPacket(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{ExtraArgs: []string{"--max-allowed-packet=64K"}})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.blobs (id INT PRIMARY KEY, b LONGBLOB);\nINSERT INTO shop.blobs VALUES (1, 'small')")
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.blobs")
	e2e.MustExec(t, sdb, "INSERT INTO shop.blobs VALUES (2, REPEAT('x', 300 * 1024))")
	e2e.ExpectExit1(t, p, "max_allowed_packet of 65536 bytes", "SET GLOBAL max_allowed_packet = ")
	if n := strings.Count(p.Log(), "connector failed; restarting"); n > 0 {
		t.Errorf("the sink retried %d times a row that cannot fit", n)
	}
}

// TestDroppedSequenceBehind: rows of a sequence (NEXTVAL) read while the
// reader is behind a DROP of it: the schema history never saw the sequence
// created and the server no longer has it; it is left out by its row
// layout instead of retrying "table not found" forever (found by the
// differential fuzzer).
func TestDroppedSequenceBehind(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.base (id INT PRIMARY KEY, s VARCHAR(20));\nINSERT INTO shop.base VALUES (0, 'first')")
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base")
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.SessionExec(t, sdb, "CREATE SEQUENCE shop.seq", "SELECT NEXTVAL(shop.seq)", "DROP SEQUENCE shop.seq",
		"INSERT INTO shop.base VALUES (1, 'after the sequence')")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base")
	e2e.MustContain(t, "the log", p.Log(), "sequence left out")
	if strings.Contains(p.Log(), "not found") {
		t.Errorf("the reader failed on the dropped sequence:\n%s", e2e.Tail(p.Log(), 20))
	}
}
