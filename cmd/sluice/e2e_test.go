package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

var shopTables = []string{"shop.customers", "shop.orders", "shop.order_lines"}

const shopSchema = `CREATE DATABASE shop;
CREATE TABLE shop.customers (
  id INT PRIMARY KEY, name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL, email VARCHAR(200) NULL,
  balance DECIMAL(12,2) NOT NULL DEFAULT 0, created DATETIME(6) NOT NULL, flags BIT(8) NULL, note TEXT NULL);
CREATE TABLE shop.orders (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(20,6) NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new', payload JSON NULL, raw VARBINARY(16) NULL,
  version INT NOT NULL DEFAULT 0);
CREATE TABLE shop.order_lines (
  order_id BIGINT UNSIGNED NOT NULL, line INT NOT NULL, sku VARCHAR(32) NOT NULL, qty INT NOT NULL,
  PRIMARY KEY (order_id, line))`

func execAll(t testing.TB, db *sql.DB, stmts string) {
	t.Helper()
	for _, q := range strings.Split(stmts, ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// seed inserts n customers, each with one order of two lines.
func seed(t testing.TB, db *sql.DB, from, n int) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		mustExec(t, tx, "INSERT INTO shop.customers VALUES (?, ?, ?, ?, ?, ?, ?)", i, fmt.Sprintf("customer %d 🙂", i),
			nullIf(i%7 == 0, fmt.Sprintf("c%d@example.com", i)), fmt.Sprintf("%d.%02d", i*3, i%100),
			"2024-02-29 12:34:56.123456", i%256, nullIf(i%5 == 0, ""))
		res, err := tx.Exec("INSERT INTO shop.orders (customer_id, amount, status, payload, raw) VALUES (?, ?, 'new', ?, ?)",
			i, fmt.Sprintf("%d.000001", i), fmt.Sprintf(`{"n": %d, "big": 18446744073709551615, "s": "é"}`, i), []byte{0, byte(i), 0})
		if err != nil {
			t.Fatal(err)
		}
		oid, _ := res.LastInsertId()
		mustExec(t, tx, "INSERT INTO shop.order_lines VALUES (?, 1, 'sku-a', 1), (?, 2, 'sku-b', 2)", oid, oid)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func nullIf(null bool, v string) any {
	if null {
		return nil
	}
	return v
}

type execer interface {
	Exec(string, ...any) (sql.Result, error)
}

func mustExec(t testing.TB, db execer, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestEndToEnd: snapshot of existing rows, then streamed multi-statement
// transactions, into an empty replica, through the embedded broker.
func TestEndToEnd(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	dst2 := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb, ddb2 := src.DB(t), dst.DB(t), dst2.DB(t)
	execAll(t, sdb, shopSchema)
	seed(t, sdb, 1, 1000) // 10 snapshot chunks per table at chunk size 100

	cfg, adminAddr := writeConfig(t, t.TempDir(), src, dst, false, dst2)
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	start := time.Now()
	waitEqual(t, sdb, ddb, 90*time.Second, []*proc{p}, shopTables...)
	t.Logf("snapshot of 5000 rows converged in %s", time.Since(start))

	// Streamed changes: every op, a key change, a transaction across tables,
	// a rolled-back transaction, NULL vs empty.
	tx, _ := sdb.Begin()
	mustExec(t, tx, "UPDATE shop.customers SET balance = balance + 1.5, email = NULL WHERE id <= 10")
	mustExec(t, tx, "DELETE FROM shop.order_lines WHERE order_id IN (SELECT id FROM shop.orders WHERE customer_id BETWEEN 11 AND 20)")
	mustExec(t, tx, "DELETE FROM shop.orders WHERE customer_id BETWEEN 11 AND 20")
	mustExec(t, tx, "DELETE FROM shop.customers WHERE id BETWEEN 11 AND 20")
	mustExec(t, tx, "UPDATE shop.customers SET id = id + 100000 WHERE id BETWEEN 21 AND 25")
	mustExec(t, tx, "UPDATE shop.orders SET status = 'paid', version = version + 1, payload = JSON_SET(payload, '$.paid', true) WHERE customer_id <= 50")
	mustExec(t, tx, "UPDATE shop.customers SET note = '' WHERE id = 30")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, _ = sdb.Begin()
	mustExec(t, tx, "DELETE FROM shop.customers")
	_ = tx.Rollback()
	seed(t, sdb, 2000, 50)
	// A table created while streaming reaches the replicas too.
	execAll(t, sdb, "CREATE TABLE shop.late (id INT PRIMARY KEY, v VARCHAR(20));\nINSERT INTO shop.late VALUES (1, 'a'), (2, NULL), (3, '')")
	all := append(shopTables, "shop.late")
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, all...)
	waitEqual(t, sdb, ddb2, 60*time.Second, []*proc{p}, all...)

	// Throughput: 20,000 rows in 200 transactions of 100.
	start = time.Now()
	for i := 0; i < 200; i++ {
		seedCustomers(t, sdb, 10000+i*100, 100)
	}
	writes := time.Since(start)
	waitEqual(t, sdb, ddb, 120*time.Second, []*proc{p}, shopTables...)
	el := time.Since(start)
	waitEqual(t, sdb, ddb2, 60*time.Second, []*proc{p}, all...)
	t.Logf("MEASURE end-to-end: 20000 rows in 200 transactions on the replica %s after the first write (%.0f rows/s); the writes alone took %s",
		el, 20000/el.Seconds(), writes)

	body := httpGet(t, "http://"+adminAddr+"/metrics")
	for _, want := range []string{"sluice_sink_rows_applied_total", "sluice_source_rows_published_total", "sluice_sink_replication_lag_seconds"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if r := httpGet(t, "http://"+adminAddr+"/readyz"); !strings.Contains(r, `"src":"ready"`) || !strings.Contains(r, `"replica-1":"ready"`) || !strings.Contains(r, `"replica-2":"ready"`) {
		t.Errorf("/readyz = %s", r)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("sluice did not exit cleanly on SIGTERM: %v\n%s", err, tail(p.logText(), 30))
	}
}

func seedCustomers(t testing.TB, db *sql.DB, from, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("INSERT INTO shop.customers (id, name, balance, created) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'bulk %d', %d.50, '2025-01-01 00:00:00')", from+i, from+i, i)
	}
	mustExec(t, db, b.String())
}

func httpGet(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func writeFile(t testing.TB, dir, name, body string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
