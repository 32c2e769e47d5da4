package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestForeignKeyCascadeRefused: cascaded deletes and updates are not in the
// binlog (checked on MariaDB 10.11: a DELETE of the parent logs only the
// parent's row), so a selected table with a cascading foreign key is
// refused at start, naming the constraint; with RESTRICT it replicates. One
// added while streaming stops the source at its DDL. That is
// on_table_error: stop; the default quarantines such a table instead
// (TestQuarantineCascadingForeignKey).
func TestForeignKeyCascadeRefused(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.parent (id INT PRIMARY KEY);
CREATE TABLE shop.child (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_parent FOREIGN KEY (pid) REFERENCES shop.parent (id) ON DELETE CASCADE);
INSERT INTO shop.parent VALUES (1), (2);
INSERT INTO shop.child VALUES (10, 1), (20, 2)`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, `    tables: ["shop.*"]`+"\n", `    tables: ["shop.*"]`+"\n    on_table_error: stop\n")
	code, out := e2e.Run(t, "check", "--config", cfg, "--connector", "src")
	if code != 1 || !strings.Contains(out, "foreign key `fk_parent` references shop.parent ON DELETE CASCADE") {
		t.Errorf("sluice check exited %d without the foreign key:\n%s", code, out)
	}
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	log := e2e.WaitFailed(t, p, 30*time.Second) // refused, not exited 0
	e2e.MustContain(t, "the error", log, "shop.child foreign key `fk_parent` references shop.parent ON DELETE CASCADE", "ON DELETE RESTRICT")

	e2e.ExecAll(t, sdb, `ALTER TABLE shop.child DROP FOREIGN KEY fk_parent;
ALTER TABLE shop.child ADD CONSTRAINT fk_parent FOREIGN KEY (pid) REFERENCES shop.parent (id) ON DELETE RESTRICT`)
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.parent", "shop.child")
	e2e.ExecAll(t, sdb, "DELETE FROM shop.child WHERE pid = 1;\nDELETE FROM shop.parent WHERE id = 1")
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.parent", "shop.child")

	// A cascading foreign key added while streaming stops the source at
	// that DDL, before a cascade can delete rows the replica would keep.
	e2e.ExecAll(t, sdb, `CREATE TABLE shop.grandchild (id INT PRIMARY KEY, cid INT, CONSTRAINT fk_child FOREIGN KEY (cid) REFERENCES shop.child (id) ON UPDATE SET NULL);
INSERT INTO shop.grandchild VALUES (100, 20)`)
	log = e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "the error", log, "shop.grandchild foreign key `fk_child` references shop.child ON DELETE RESTRICT ON UPDATE SET NULL", "ON DELETE RESTRICT")
	if e2e.HasTable(ddb, "shop.grandchild") && len(e2e.TableRows(t, ddb, "shop.grandchild")) > 0 {
		t.Error("rows of the table with the cascading foreign key reached the replica")
	}
}

// TestReplicaTriggers documents what triggers on a replica table do: the
// sink's writes fire them. A new row fires INSERT triggers; an update
// arrives as INSERT ... ON DUPLICATE KEY UPDATE, so it fires BEFORE
// INSERT and then the UPDATE triggers, never AFTER INSERT; a delete fires
// DELETE triggers. A trigger that writes to a replicated table doubles
// that write (the source's own trigger wrote it into the binlog already).
func TestReplicaTriggers(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.KVSchema)
	dst.Exec(t, "CREATE DATABASE shop", "USE shop",
		"CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(64) NULL, b BLOB NULL, n INT NOT NULL DEFAULT 0)",
		"CREATE TABLE shop.audit (seq INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20), id INT)",
		"CREATE TRIGGER kv_ai AFTER INSERT ON shop.kv FOR EACH ROW INSERT INTO shop.audit (what, id) VALUES ('after insert', NEW.id)",
		"CREATE TRIGGER kv_au AFTER UPDATE ON shop.kv FOR EACH ROW INSERT INTO shop.audit (what, id) VALUES ('after update', NEW.id)",
		"CREATE TRIGGER kv_ad AFTER DELETE ON shop.kv FOR EACH ROW INSERT INTO shop.audit (what, id) VALUES ('after delete', OLD.id)")
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (0, 'snapshot')")
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (1, 'a'), (2, 'b')")
	e2e.MustExec(t, sdb, "UPDATE shop.kv SET v = 'c' WHERE id = 1")
	e2e.MustExec(t, sdb, "DELETE FROM shop.kv WHERE id = 2")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	got := e2e.TableRows(t, ddb, "(SELECT CONCAT(LPAD(seq, 3, '0'), ' ', what, ' ', id) FROM shop.audit) AS a")
	want := []string{`"001 after insert 0"`, `"002 after insert 1"`, `"003 after insert 2"`, `"004 after update 1"`, `"005 after delete 2"`}
	if len(got) != len(want) {
		t.Fatalf("replica triggers fired %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("replica triggers fired %v, want %v", got, want)
		}
	}
}
