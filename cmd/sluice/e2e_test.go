package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestEndToEnd: snapshot of existing rows, then streamed multi-statement
// transactions, into an empty replica, through the embedded broker.
func TestEndToEnd(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	dst2 := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb, ddb2 := src.DB(t), dst.DB(t), dst2.DB(t)
	e2e.ExecAll(t, sdb, e2e.ShopSchema)
	e2e.Seed(t, sdb, 1, 1000) // 10 snapshot chunks per table at chunk size 100

	cfg, adminAddr := e2e.WriteConfig(t, t.TempDir(), src, dst, false, dst2)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	start := time.Now()
	e2e.WaitEqual(t, sdb, ddb, 90*time.Second, []*e2e.Proc{p}, e2e.ShopTables...)
	t.Logf("snapshot of 5000 rows converged in %s", time.Since(start))

	// Streamed changes: every op, a key change, a transaction across tables,
	// a rolled-back transaction, NULL vs empty.
	tx, _ := sdb.Begin()
	e2e.MustExec(t, tx, "UPDATE shop.customers SET balance = balance + 1.5, email = NULL WHERE id <= 10")
	e2e.MustExec(t, tx, "DELETE FROM shop.order_lines WHERE order_id IN (SELECT id FROM shop.orders WHERE customer_id BETWEEN 11 AND 20)")
	e2e.MustExec(t, tx, "DELETE FROM shop.orders WHERE customer_id BETWEEN 11 AND 20")
	e2e.MustExec(t, tx, "DELETE FROM shop.customers WHERE id BETWEEN 11 AND 20")
	e2e.MustExec(t, tx, "UPDATE shop.customers SET id = id + 100000 WHERE id BETWEEN 21 AND 25")
	e2e.MustExec(t, tx, "UPDATE shop.orders SET status = 'paid', version = version + 1, payload = JSON_SET(payload, '$.paid', true) WHERE customer_id <= 50")
	e2e.MustExec(t, tx, "UPDATE shop.customers SET note = '' WHERE id = 30")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, _ = sdb.Begin()
	e2e.MustExec(t, tx, "DELETE FROM shop.customers")
	_ = tx.Rollback()
	e2e.Seed(t, sdb, 2000, 50)
	// A table created while streaming reaches the replicas too.
	e2e.ExecAll(t, sdb, "CREATE TABLE shop.late (id INT PRIMARY KEY, v VARCHAR(20));\nINSERT INTO shop.late VALUES (1, 'a'), (2, NULL), (3, '')")
	all := append(e2e.ShopTables, "shop.late")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, all...)
	e2e.WaitEqual(t, sdb, ddb2, 60*time.Second, []*e2e.Proc{p}, all...)

	// Throughput: 20,000 rows in 200 transactions of 100.
	start = time.Now()
	for i := 0; i < 200; i++ {
		e2e.SeedCustomers(t, sdb, 10000+i*100, 100)
	}
	writes := time.Since(start)
	e2e.WaitEqual(t, sdb, ddb, 120*time.Second, []*e2e.Proc{p}, e2e.ShopTables...)
	el := time.Since(start)
	e2e.WaitEqual(t, sdb, ddb2, 60*time.Second, []*e2e.Proc{p}, all...)
	t.Logf("MEASURE end-to-end: 20000 rows in 200 transactions on the replica %s after the first write (%.0f rows/s); the writes alone took %s",
		el, 20000/el.Seconds(), writes)

	body := e2e.HTTPGet(t, "http://"+adminAddr+"/metrics")
	for _, want := range []string{"sluice_sink_rows_applied_total", "sluice_source_rows_published_total", "sluice_sink_replication_lag_seconds"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if r := e2e.HTTPGet(t, "http://"+adminAddr+"/readyz"); !strings.Contains(r, `"src":"ready"`) || !strings.Contains(r, `"replica-1":"ready"`) || !strings.Contains(r, `"replica-2":"ready"`) {
		t.Errorf("/readyz = %s", r)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("sluice did not exit cleanly on SIGTERM: %v\n%s", err, e2e.Tail(p.Log(), 30))
	}
}
