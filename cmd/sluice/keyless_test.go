package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestTablesWithoutPrimaryKey: a table without a primary key listed in
// unique_key_tables is keyed by its unique NOT NULL key, through snapshot,
// streamed changes (also of the key), and for a table created while
// streaming. (Tables without any key: keyless_full_test.go.)
func TestTablesWithoutPrimaryKey(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.nopk (a INT NOT NULL, b VARCHAR(20) NOT NULL, v INT NULL, n INT NULL, UNIQUE KEY ab (a, b), UNIQUE KEY n (n));
INSERT INTO shop.nopk VALUES (1, 'x', 10, NULL), (1, 'y', 11, NULL), (2, 'x', NULL, 5)`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, `    tables: ["shop.*"]`+"\n", `    tables: ["shop.*"]`+"\n"+`    unique_key_tables: ["shop.nopk", "shop.late"]`+"\n")
	if code, out := e2e.Run(t, "check", "--config", cfg, "--connector", "src"); !strings.Contains(out, "keyed by its unique NOT NULL key (a, b)") {
		t.Errorf("sluice check exited %d without the unique key:\n%s", code, out)
	}
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.nopk")
	e2e.ExecAll(t, sdb, `INSERT INTO shop.nopk VALUES (3, 'z', 30, NULL);
UPDATE shop.nopk SET v = v + 1 WHERE a = 1;
UPDATE shop.nopk SET b = 'w' WHERE a = 1 AND b = 'x';
DELETE FROM shop.nopk WHERE a = 2;
CREATE TABLE shop.late (u INT NOT NULL, v VARCHAR(10), UNIQUE KEY (u));
INSERT INTO shop.late VALUES (1, 'a'), (2, 'b');
UPDATE shop.late SET u = 3 WHERE u = 1;
DELETE FROM shop.late WHERE u = 2`)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.nopk", "shop.late")
	if !strings.Contains(p.Log(), `table without primary key keyed by its unique key (unique_key_tables)" connector=src table=shop.late key=[u]`) {
		t.Errorf("shop.late, created while streaming, was not keyed by its unique key:\n%s", e2e.Tail(p.Log(), 20))
	}
}
