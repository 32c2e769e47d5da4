package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestTablesWithoutPrimaryKey: a table without a primary key is refused
// by default; listed in unique_key_tables it is keyed by its unique NOT
// NULL key, through snapshot, streamed changes (also of the key), and for
// a table created while streaming.
func TestTablesWithoutPrimaryKey(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	execAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.nopk (a INT NOT NULL, b VARCHAR(20) NOT NULL, v INT NULL, n INT NULL, UNIQUE KEY ab (a, b), UNIQUE KEY n (n));
INSERT INTO shop.nopk VALUES (1, 'x', 10, NULL), (1, 'y', 11, NULL), (2, 'x', NULL, 5)`)
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	expectExit1(t, p, "table shop.nopk has no primary key", "unique_key_tables")

	setConfig(t, cfg, `    tables: ["shop.*"]`+"\n", `    tables: ["shop.*"]`+"\n"+`    unique_key_tables: ["shop.nopk", "shop.late"]`+"\n")
	if code, out := runSluice(t, "check", "--config", cfg, "--connector", "src"); !strings.Contains(out, "keyed by its unique NOT NULL key (a, b)") {
		t.Errorf("sluice check exited %d without the unique key:\n%s", code, out)
	}
	p.start()
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.nopk")
	execAll(t, sdb, `INSERT INTO shop.nopk VALUES (3, 'z', 30, NULL);
UPDATE shop.nopk SET v = v + 1 WHERE a = 1;
UPDATE shop.nopk SET b = 'w' WHERE a = 1 AND b = 'x';
DELETE FROM shop.nopk WHERE a = 2;
CREATE TABLE shop.late (u INT NOT NULL, v VARCHAR(10), UNIQUE KEY (u));
INSERT INTO shop.late VALUES (1, 'a'), (2, 'b');
UPDATE shop.late SET u = 3 WHERE u = 1;
DELETE FROM shop.late WHERE u = 2`)
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.nopk", "shop.late")
	if !strings.Contains(p.logText(), `table without primary key keyed by its unique key (unique_key_tables)" connector=src table=shop.late key=[u]`) {
		t.Errorf("shop.late, created while streaming, was not keyed by its unique key:\n%s", tail(p.logText(), 20))
	}
}

// expectExit1 waits for sluice to exit with status 1 and a log holding
// every one of words.
func expectExit1(t *testing.T, p *proc, words ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, err := p.exited(); done {
			if err == nil || !strings.Contains(err.Error(), "exit status 1") {
				t.Fatalf("sluice exited with %v, want exit status 1:\n%s", err, tail(p.logText(), 20))
			}
			for _, w := range words {
				if !strings.Contains(p.logText(), w) {
					t.Errorf("the log lacks %q:\n%s", w, tail(p.logText(), 10))
				}
			}
			<-p.done
			p.cmd = nil
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice did not stop within 30s:\n%s", tail(p.logText(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
