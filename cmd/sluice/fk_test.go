package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestForeignKeyCascadeRefused: cascaded deletes and updates are not in the
// binlog (checked on MariaDB 10.11: a DELETE of the parent logs only the
// parent's row), so a selected table with a cascading foreign key is
// refused at start, naming the constraint; with RESTRICT it replicates.
func TestForeignKeyCascadeRefused(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	execAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.parent (id INT PRIMARY KEY);
CREATE TABLE shop.child (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_parent FOREIGN KEY (pid) REFERENCES shop.parent (id) ON DELETE CASCADE);
INSERT INTO shop.parent VALUES (1), (2);
INSERT INTO shop.child VALUES (10, 1), (20, 2)`)
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	code, out := runSluice(t, "check", "--config", cfg, "--connector", "src")
	if code != 1 || !strings.Contains(out, "foreign key `fk_parent` references shop.parent ON DELETE CASCADE") {
		t.Errorf("sluice check exited %d without the foreign key:\n%s", code, out)
	}
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, err := p.exited(); done {
			if err == nil {
				t.Fatal("sluice exited 0")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice did not refuse the cascading foreign key:\n%s", tail(p.logText(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range []string{"shop.child foreign key `fk_parent` references shop.parent ON DELETE CASCADE", "ON DELETE RESTRICT"} {
		if log := p.logText(); !strings.Contains(log, w) {
			t.Errorf("the error lacks %q:\n%s", w, tail(log, 10))
		}
	}
	<-p.done
	p.cmd = nil

	execAll(t, sdb, `ALTER TABLE shop.child DROP FOREIGN KEY fk_parent;
ALTER TABLE shop.child ADD CONSTRAINT fk_parent FOREIGN KEY (pid) REFERENCES shop.parent (id) ON DELETE RESTRICT`)
	p.start()
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.parent", "shop.child")
	execAll(t, sdb, "DELETE FROM shop.child WHERE pid = 1;\nDELETE FROM shop.parent WHERE id = 1")
	waitEqual(t, sdb, ddb, 30*time.Second, []*proc{p}, "shop.parent", "shop.child")
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
	execAll(t, sdb, kvSchema)
	dst.Exec(t, "CREATE DATABASE shop", "USE shop",
		"CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(64) NULL, b BLOB NULL, n INT NOT NULL DEFAULT 0)",
		"CREATE TABLE shop.audit (seq INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20), id INT)",
		"CREATE TRIGGER kv_ai AFTER INSERT ON shop.kv FOR EACH ROW INSERT INTO shop.audit (what, id) VALUES ('after insert', NEW.id)",
		"CREATE TRIGGER kv_au AFTER UPDATE ON shop.kv FOR EACH ROW INSERT INTO shop.audit (what, id) VALUES ('after update', NEW.id)",
		"CREATE TRIGGER kv_ad AFTER DELETE ON shop.kv FOR EACH ROW INSERT INTO shop.audit (what, id) VALUES ('after delete', OLD.id)")
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	mustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (0, 'snapshot')")
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.kv")
	mustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (1, 'a'), (2, 'b')")
	mustExec(t, sdb, "UPDATE shop.kv SET v = 'c' WHERE id = 1")
	mustExec(t, sdb, "DELETE FROM shop.kv WHERE id = 2")
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.kv")
	got := tableRows(t, ddb, "(SELECT CONCAT(LPAD(seq, 3, '0'), ' ', what, ' ', id) FROM shop.audit) AS a")
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
