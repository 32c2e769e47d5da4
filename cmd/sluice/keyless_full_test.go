package main

import (
	"database/sql"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestKeylessTablesReplicate: tables without any key replicate the way
// row-based replication does, rows found by their full before image, one
// row per statement. A keyless table at the snapshot and one created while
// streaming hold duplicate rows, NULLs, FLOAT/DOUBLE, BLOB, utf8mb4 and
// latin1 text, a generated column and two rows equal under their collation;
// one of two identical rows is updated and deleted; transactions mix them
// with a keyed table; one gains a primary key and a keyed one loses its
// key while streaming; sluice restarts with changes made while it was
// down, and once with a keyless table left out of tables: and then
// selected again, then applies with two workers; an incremental snapshot copies a keyless table again; verify finds
// the replica equal.
func TestKeylessTablesReplicate(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.keyed (id INT PRIMARY KEY, v INT);
CREATE TABLE shop.empty (a INT, b TEXT);
CREATE TABLE shop.nokey (a INT, f FLOAT, d DOUBLE, b BLOB, s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
  l VARCHAR(10) CHARACTER SET latin1, g INT AS (a * 2) VIRTUAL, KEY (a));
INSERT INTO shop.keyed VALUES (1, 1), (2, 2);
INSERT INTO shop.nokey (a, f, d, b, s, l) VALUES (1, 1.1, 2.2, 'blob', 'Ünïcödé 😀', 'café'), (1, 1.1, 2.2, 'blob', 'Ünïcödé 😀', 'café'),
  (NULL, NULL, NULL, NULL, NULL, NULL), (NULL, NULL, NULL, NULL, NULL, NULL), (2, 0.3, 1e-300, x'00ff', 'a', 'x'), (2, 0.3, 1e-300, x'00ff', 'A', 'x'),
  (3, 3.3, 3.3, '', 'c ', 'y'), (3, 3.3, 3.3, '', 'c', 'y')`)
	cfg, admin := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	if code, out := e2e.Run(t, "check", "--config", cfg, "--connector", "src"); !strings.Contains(out, "table shop.nokey") ||
		!strings.Contains(out, "all its values") || strings.Contains(out, "ERROR") {
		t.Errorf("sluice check exited %d without the note on shop.nokey, or with an error:\n%s", code, out)
	}
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	procs := []*e2e.Proc{p}
	tables := []string{"shop.keyed", "shop.nokey", "shop.empty"}
	waitSameRows(t, sdb, ddb, procs, tables...)

	e2e.ExecAll(t, sdb, `INSERT INTO shop.empty VALUES (1, 'x'), (1, 'x');
UPDATE shop.nokey SET d = 5 WHERE a = 1 LIMIT 1;
DELETE FROM shop.nokey WHERE a IS NULL LIMIT 1;
UPDATE shop.nokey SET a = 9, b = REPEAT('z', 3000) WHERE a IS NULL;
UPDATE shop.nokey SET f = f + 1, l = 'naïve' WHERE BINARY s = 'A';
UPDATE shop.nokey SET d = d * 2 WHERE s = 'c ' AND LENGTH(s) = 2;
INSERT INTO shop.nokey (a, f, d, b, s, l) VALUES (1, 1.1, 2.2, 'blob', 'Ünïcödé 😀', 'café');
START TRANSACTION;
INSERT INTO shop.keyed VALUES (3, 3);
UPDATE shop.nokey SET s = 'Ünïcödé 😀!' WHERE a = 1 AND d = 2.2 LIMIT 1;
UPDATE shop.keyed SET v = 20 WHERE id = 2;
DELETE FROM shop.nokey WHERE a = 1 AND d = 2.2 LIMIT 1;
INSERT INTO shop.nokey (a) VALUES (4), (4);
DELETE FROM shop.keyed WHERE id = 1;
COMMIT;
CREATE TABLE shop.late (x INT, y TEXT, z DOUBLE);
INSERT INTO shop.late VALUES (1, 'one', 0.1), (1, 'one', 0.1), (2, NULL, 0.2), (3, 'three', NULL);
UPDATE shop.late SET y = 'uno' WHERE x = 1 LIMIT 1;
DELETE FROM shop.late WHERE x = 1 AND y = 'one'`)
	tables = append(tables, "shop.late")
	waitSameRows(t, sdb, ddb, procs, tables...)

	// A key added and a key dropped while streaming.
	e2e.ExecAll(t, sdb, `ALTER TABLE shop.late ADD PRIMARY KEY (x);
UPDATE shop.late SET z = 9 WHERE x = 2;
UPDATE shop.late SET x = 10 WHERE x = 3;
INSERT INTO shop.late VALUES (11, 'eleven', 11);
ALTER TABLE shop.keyed DROP PRIMARY KEY;
INSERT INTO shop.keyed VALUES (2, 20), (2, 20);
UPDATE shop.keyed SET v = 21 WHERE id = 2 LIMIT 1;
DELETE FROM shop.keyed WHERE id = 3`)
	waitSameRows(t, sdb, ddb, procs, tables...)

	// A restart, with changes made while sluice was down, to every table,
	// and shop.empty left out of tables:; then another with it selected
	// again (an incremental snapshot copies it, while the schema history
	// holds its keyless definition), from which the sink applies batches
	// with two workers (XA branches), each keyless table on one of them.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.EditConfig(t, cfg, `    tables: ["shop.*"]`, `    tables: ["shop.keyed", "shop.nokey", "shop.late"]`)
	e2e.ExecAll(t, sdb, `INSERT INTO shop.nokey (a, s) VALUES (5, 'down'), (5, 'down');
DELETE FROM shop.nokey WHERE a = 5 LIMIT 1;
UPDATE shop.keyed SET v = 22 WHERE id = 2 AND v = 20;
DELETE FROM shop.late WHERE x = 11`)
	p.Start()
	waitSameRows(t, sdb, ddb, procs, "shop.keyed", "shop.nokey", "shop.late")
	e2e.ExecAll(t, sdb, `INSERT INTO shop.empty VALUES (7, 'left out'), (7, 'left out')`)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.EditConfig(t, cfg, `    tables: ["shop.keyed", "shop.nokey", "shop.late"]`, `    tables: ["shop.*"]`)
	e2e.EditConfig(t, cfg, "    batch_rows: 500\n", "    batch_rows: 500\n    workers: 2\n")
	p.Start()
	waitSameRows(t, sdb, ddb, procs, tables...)
	e2e.ExecAll(t, sdb, `START TRANSACTION;
INSERT INTO shop.empty VALUES (2, 'y'), (2, 'y'), (3, 'z');
UPDATE shop.empty SET b = 'w' WHERE a = 2 LIMIT 1;
UPDATE shop.empty SET a = 4 WHERE b = 'w';
DELETE FROM shop.empty WHERE a = 7 LIMIT 1;
INSERT INTO shop.late VALUES (12, 'twelve', 12), (13, 'thirteen', 13);
UPDATE shop.nokey SET d = -1 WHERE a = 5;
COMMIT`)
	waitSameRows(t, sdb, ddb, procs, tables...)
	metrics := e2e.HTTPGet(t, "http://"+admin+"/metrics")
	if !regexp.MustCompile(`sluice_sink_worker_batches_total\{[^}]*result="applied"[^}]*\} [1-9]`).MatchString(metrics) ||
		regexp.MustCompile(`sluice_sink_worker_batches_total\{[^}]*result="fallback"[^}]*\} [1-9]`).MatchString(metrics) {
		t.Errorf("the workers applied no batch, or fell back:\n%s", grepLines(metrics, "worker_batches"))
	}

	// An incremental snapshot of a keyless table replaces the replica's
	// copy, here one that drifted (a row the source lacks).
	e2e.MustExec(t, ddb, "INSERT INTO shop.nokey (a, s) VALUES (77, 'only on the replica')")
	if code, out := e2e.Run(t, "snapshot", "--config", cfg, "--table", "shop.nokey"); code != 0 {
		t.Fatalf("sluice snapshot exited %d:\n%s", code, out)
	}
	e2e.ExecAll(t, sdb, `UPDATE shop.nokey SET a = 6 WHERE a = 5`)
	waitSameRows(t, sdb, ddb, procs, tables...)
	if code, out := e2e.Run(t, "verify", "--config", cfg, "--connector", "replica-1"); code != 0 {
		t.Errorf("sluice verify exited %d:\n%s", code, out)
	}
	e2e.MustExec(t, ddb, "INSERT INTO shop.nokey (a) VALUES (4)") // a third copy of a row the source holds twice
	if code, out := e2e.Run(t, "verify", "--config", cfg, "--connector", "replica-1"); code == 0 || !strings.Contains(out, "shop.nokey") {
		t.Errorf("sluice verify exited %d on a keyless table with one extra duplicate:\n%s", code, out)
	}
	if log := p.Log(); strings.Contains(log, "level=ERROR") {
		t.Errorf("errors in the log:\n%s", e2e.Tail(log, 40))
	}
}

// waitSameRows waits until each table holds the same rows on both sides,
// as multisets: TableRows sorts by the first column only, and tables
// without a key may hold rows in any order.
func waitSameRows(t *testing.T, sdb, ddb *sql.DB, procs []*e2e.Proc, tables ...string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		why := ""
		for _, tb := range tables {
			if !e2e.HasTable(ddb, tb) {
				why = tb + " missing on the replica"
				break
			}
			a, b := e2e.TableRows(t, sdb, tb), e2e.TableRows(t, ddb, tb)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				why = tb + ":\n source  " + strings.Join(a, "\n         ") + "\n replica " + strings.Join(b, "\n         ")
				break
			}
		}
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			e2e.LogTails(t, 60, procs...)
			t.Fatalf("replica did not converge: %s", why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
