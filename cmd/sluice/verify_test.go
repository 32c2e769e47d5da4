package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// runVerify runs `sluice verify` and returns its stdout and exit code.
func runVerify(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2e.Binary(t), append([]string{"verify", "--log-level", "info"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("sluice verify %v: exit %d\n%s%s", args, code, out.String(), errb.String())
	return out.String() + errb.String(), code
}

// shopWorkload inserts, updates and deletes customers, orders and lines in
// transactions until stop is closed, and returns how many it committed.
func shopWorkload(t *testing.T, db *sql.DB, stop chan struct{}) int {
	rng := rand.New(rand.NewSource(11))
	next := 5000
	for n := 0; ; n++ {
		select {
		case <-stop:
			return n
		default:
		}
		tx, err := db.Begin()
		if err != nil {
			t.Errorf("begin: %v", err)
			return n
		}
		id := 1 + rng.Intn(300)
		stmts := []struct {
			q    string
			args []any
		}{
			{"UPDATE shop.customers SET balance = balance + 1, note = IF(note IS NULL, '', NULL) WHERE id = ?", []any{id}},
			{"UPDATE shop.orders SET version = version + 1, amount = amount + 0.5 WHERE customer_id = ?", []any{id}},
			{"INSERT INTO shop.customers VALUES (?, 'new', NULL, 1.25, '2025-01-01 00:00:00', 1, NULL)", []any{next}},
			{"DELETE FROM shop.customers WHERE id = ?", []any{next - 3}},
			{"UPDATE shop.order_lines SET qty = qty + 1 WHERE order_id = ? AND line = 1", []any{id}},
		}
		next++
		for _, s := range stmts {
			if _, err := tx.Exec(s.q, s.args...); err != nil {
				t.Errorf("workload %s: %v", s.q, err)
				_ = tx.Rollback()
				return n
			}
		}
		if err := tx.Commit(); err != nil {
			t.Errorf("commit: %v", err)
			return n
		}
		time.Sleep(time.Duration(5+rng.Intn(10)) * time.Millisecond)
	}
}

// TestVerify runs sluice verify against a running pipeline: while a
// workload writes (no false differences), after the replica was changed
// behind the sink's back (the exact rows), with --repair, and with the
// sink stopped (an error, not differences). The periodic verify of
// `sluice run` (verify.every) exports its results as metrics.
func TestVerify(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.ShopSchema)
	e2e.Seed(t, sdb, 1, 300)
	dir := t.TempDir()
	cfg, adminAddr := e2e.WriteConfig(t, dir, src, dst, false)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "verify:\n  every: 3s\n  chunk_rows: 100\n")
	f.Close()
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, e2e.ShopTables...)

	// Under writes: a chunk that differs because the sink lags is compared
	// again once the sink has passed the source's position.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var commits int
	wg.Add(1)
	go func() { defer wg.Done(); commits = shopWorkload(t, sdb, stop) }()
	time.Sleep(500 * time.Millisecond)
	began := time.Now()
	for _, chunk := range []string{"20", "1000"} {
		if out, code := runVerify(t, "--config", cfg, "--chunk-rows", chunk); code != 0 || strings.Count(out, ": equal (") != 3 {
			t.Errorf("verify under writes: exit %d, want 0 and 3 equal tables", code)
		}
	}
	took := time.Since(began)
	close(stop)
	wg.Wait()
	t.Logf("workload committed %d transactions while verify ran for %s", commits, took)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, e2e.ShopTables...)
	metrics := e2e.HTTPGet(t, "http://"+adminAddr+"/metrics")
	if !strings.Contains(metrics, `sluice_verify_runs_total{connector="replica-1",pipeline="test",result="equal"}`) ||
		strings.Contains(metrics, `result="differs"`) {
		t.Errorf("periodic verify metrics:\n%s", grepLines(metrics, "sluice_verify_"))
	}

	// Changed behind the sink's back: found by key, repaired, equal again.
	e2e.MustExec(t, ddb, "DELETE FROM shop.customers WHERE id = 42")
	e2e.MustExec(t, ddb, "UPDATE shop.customers SET email = '' WHERE id = 70") // NULL on the source
	e2e.MustExec(t, ddb, "UPDATE shop.orders SET amount = amount + 0.000001 WHERE id = 7")
	e2e.MustExec(t, ddb, "INSERT INTO shop.order_lines VALUES (7, 3, 'sku-x', 1)")
	out, code := runVerify(t, "--config", cfg)
	for _, want := range []string{
		"replica-1 shop.customers: differs: 1 missing, 0 extra, 1 changed (of 303 rows); missing: id=42; changed: id=70",
		"replica-1 shop.order_lines: differs: 0 missing, 1 extra, 0 changed (of 600 rows); extra: (order_id=7, line=3)",
		"replica-1 shop.orders: differs: 0 missing, 0 extra, 1 changed (of 300 rows); changed: id=7",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q", want)
		}
	}
	if code != 1 {
		t.Errorf("verify of a changed replica: exit %d, want 1", code)
	}
	if out, code = runVerify(t, "--config", cfg, "--repair"); code != 0 || !strings.Contains(out, "repaired 2 of 2") {
		t.Errorf("verify --repair: exit %d, want 0 with 2 rows of shop.customers repaired", code)
	}
	if _, code = runVerify(t, "--config", cfg, "--table", "shop.*"); code != 0 {
		t.Errorf("verify after repair: exit %d, want 0", code)
	}

	// A stopped sink: an error, never differences.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.MustExec(t, sdb, "UPDATE shop.customers SET name = 'changed' WHERE id = 5")
	if out, code = runVerify(t, "--config", cfg, "--max-wait", "2s", "--table", "shop.customers"); code != 2 ||
		!strings.Contains(out, "sink is not advancing") {
		t.Errorf("verify with the sink stopped: exit %d, want 2 and \"sink is not advancing\"", code)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestVerifyDefinitions changes a replica column's character set by hand
// while its bytes stay the same (ASCII text in latin1 on the source, in
// utf8mb4 on the replica): the rows hash equal, yet the replica holds
// another column. Verify reports the column with both definitions and
// exits 1, --repair does not claim to fix it and names the ALTER TABLE to
// run, and once that statement ran on the replica verify finds it equal.
func TestVerifyDefinitions(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.notes (id INT PRIMARY KEY, body VARCHAR(20) CHARACTER SET latin1 NOT NULL DEFAULT 'none', n INT NULL);
INSERT INTO shop.notes VALUES (1, 'plain ascii', 1), (2, 'more text', NULL)`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.notes")
	if _, code := runVerify(t, "--config", cfg); code != 0 {
		t.Fatalf("verify of an equal replica: exit %d, want 0", code)
	}

	e2e.MustExec(t, ddb, "ALTER TABLE shop.notes MODIFY body VARCHAR(20) CHARACTER SET utf8mb4 NOT NULL DEFAULT 'none'")
	if ok, diff := e2e.TablesEqual(t, sdb, ddb, "shop.notes"); !ok {
		t.Fatalf("the rows should still hold the same bytes: %s", diff)
	}
	var repColl string
	if err := ddb.QueryRow("SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'notes' AND COLUMN_NAME = 'body'").Scan(&repColl); err != nil {
		t.Fatal(err)
	}
	want := "replica-1 shop.notes: differs: definitions differ: column `body`: source varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL, " +
		"replica varchar(20) CHARACTER SET utf8mb4 COLLATE " + repColl + " NOT NULL"
	fix := "ALTER TABLE `shop`.`notes` MODIFY `body` varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL DEFAULT 'none'"
	out, code := runVerify(t, "--config", cfg)
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, fix) {
		t.Errorf("verify of a replica column in another character set: exit %d, want 1 with\n%s\nand\n%s", code, want, fix)
	}
	out, code = runVerify(t, "--config", cfg, "--repair")
	if code != 1 || !strings.Contains(out, fix) || strings.Contains(out, "repaired") {
		t.Errorf("verify --repair of a definition difference: exit %d, want 1, the ALTER TABLE to run and nothing repaired", code)
	}

	e2e.MustExec(t, ddb, fix)
	if _, code := runVerify(t, "--config", cfg); code != 0 {
		t.Errorf("verify after the ALTER TABLE it named: exit %d, want 0", code)
	}
}
