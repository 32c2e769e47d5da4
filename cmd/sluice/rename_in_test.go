package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestRenameIntoSelection renames tables into tables: from outside it,
// from another database and from an unselected name of a selected
// database, while streaming: the replicas never had the old tables, so
// each must get the table (its definition, then its rows by snapshot,
// then the rows written after the rename) without the sink failing on a
// RENAME of a table it lacks (error 1146).
func TestRenameIntoSelection(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE DATABASE other;
CREATE TABLE shop.base (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO shop.base VALUES (1, 'base');
CREATE TABLE other.t (id INT PRIMARY KEY, v VARCHAR(20) CHARACTER SET utf8mb4);
INSERT INTO other.t VALUES (1, 'é€Ω'), (2, 'two');
CREATE TABLE shop.unselected_x (id INT PRIMARY KEY, n INT NOT NULL);
INSERT INTO shop.unselected_x VALUES (1, 10), (2, 20), (3, 30)`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, `tables: ["shop.*"]`, `tables: ["shop.base", "shop.t", "shop.t2"]`)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.base")

	began := time.Now()
	e2e.SessionExec(t, sdb,
		"RENAME TABLE other.t TO shop.t",
		"INSERT INTO shop.t VALUES (3, 'after the rename')",
		"RENAME TABLE shop.unselected_x TO shop.t2",
		"UPDATE shop.t2 SET n = n + 1 WHERE id = 2",
		"INSERT INTO shop.base VALUES (2, 'after both')")
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.t", "shop.t2", "shop.base")
	t.Logf("tables renamed in equal on the replica after %s", time.Since(began).Round(time.Millisecond))
	if strings.Contains(p.Log(), "1146") {
		t.Errorf("the sink failed on a table it lacks:\n%s", e2e.Tail(p.Log(), 30))
	}
	if exited, _ := p.Exited(); exited {
		t.Fatalf("sluice stopped:\n%s", e2e.Tail(p.Log(), 30))
	}
}
