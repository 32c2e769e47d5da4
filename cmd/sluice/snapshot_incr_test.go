package main

import (
	"database/sql"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestSnapshotTableAdded adds a table to tables: of a running pipeline and
// restarts it: only that table is copied, by an incremental snapshot, while
// the other keeps streaming.
func TestSnapshotTableAdded(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\n"+e2e.ItemsTable("shop.items")+";\n"+e2e.ItemsTable("shop.extra"))
	e2e.FillTable(t, sdb, "shop.items", 0, 1000)
	e2e.FillTable(t, sdb, "shop.extra", 0, 5000)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, `tables: ["shop.*"]`, `tables: ["shop.items"]`)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items")
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if e2e.HasTable(ddb, "shop.extra") {
		t.Fatal("shop.extra reached the replica before it was selected")
	}
	e2e.EditConfig(t, cfg, `tables: ["shop.items"]`, `tables: ["shop.items", "shop.extra"]`)
	first := len(p.Log())
	p.Start()
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- snapItemsWorkload(t, sdb, stop) }()
	e2e.WaitLog(t, p, 60*time.Second, 1, "incremental snapshot table done", "table=shop.extra")
	close(stop)
	n := <-done
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items", "shop.extra")
	log := p.Log()[first:]
	if strings.Contains(log, `msg="snapshot started"`) || strings.Contains(log, "table=shop.items reason") {
		t.Errorf("the restart copied more than the added table:\n%s", e2e.Tail(log, 30))
	}
	if !strings.Contains(log, "snapshotting it while streaming") {
		t.Errorf("the restart did not report the added table:\n%s", e2e.Tail(log, 30))
	}
	t.Logf("%d workload transactions on shop.items while shop.extra was copied", n)
}

// snapItemsWorkload updates, inserts and deletes rows of shop.items until stop.
func snapItemsWorkload(t testing.TB, db *sql.DB, stop chan struct{}) int {
	rng := rand.New(rand.NewSource(3))
	n := 0
	for {
		select {
		case <-stop:
			return n
		default:
		}
		id := rng.Intn(1000)
		q := "UPDATE shop.items SET qty = qty + 1 WHERE id = ?"
		switch rng.Intn(4) {
		case 0:
			id, q = 100000+n, "INSERT INTO shop.items VALUES (?, 'new', 1)"
		case 1:
			q = "DELETE FROM shop.items WHERE id = ?"
		}
		if _, err := db.Exec(q, id); err != nil {
			t.Errorf("workload: %v", err)
			return n
		}
		n++
		time.Sleep(2 * time.Millisecond)
	}
}

// TestSnapshotRequest re-syncs a table on demand (sluice snapshot, then
// POST /snapshot, during which a column is added) while a workload keeps
// updating it: the replica ends
// equal to the source, rows it had lost or gained come back in line, and a
// trigger on the replica records that no row ever went back to an older
// version.
func TestSnapshotRequest(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.SetupAccounts(t, sdb, ddb, 5000)
	cfg, adminAddr := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 500\n")
	const token = "snapshot-test-token-0123456789"
	e2e.EditConfig(t, cfg, "admin:\n", "admin:\n  token: \""+token+"\"\n")
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.accounts")

	// The replica drifts: a row lost, a row gained, a value changed.
	e2e.MustExec(t, ddb, "DELETE FROM shop.accounts WHERE id = 4000")
	e2e.MustExec(t, ddb, "INSERT INTO shop.accounts VALUES (999999, 0, 0, 'stray')")
	e2e.MustExec(t, ddb, "UPDATE shop.accounts SET balance = -1 WHERE id = 2")
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- accountsWorkload(t, sdb, stop) }()
	time.Sleep(500 * time.Millisecond)

	if code, out := e2e.Run(t, "snapshot", "--config", cfg, "--table", "shop.accounts"); code != 0 || !strings.Contains(out, `"tables":["shop.accounts"]`) {
		t.Fatalf("sluice snapshot: exit %d\n%s", code, out)
	}
	if code, out := e2e.Run(t, "snapshot", "--config", cfg, "--table", "other.t"); code == 0 ||
		!strings.Contains(out, "not selected by source src") {
		t.Errorf("sluice snapshot of an unselected table: exit %d\n%s", code, out)
	}
	if code, out := e2e.Run(t, "snapshot", "--config", cfg, "--table", "shop.nosuch"); code == 0 ||
		!strings.Contains(out, "no table shop.nosuch on source src") {
		t.Errorf("sluice snapshot of a table the source does not have: exit %d\n%s", code, out)
	}
	e2e.WaitLog(t, p, 60*time.Second, 1, "incremental snapshot table done", "table=shop.accounts", "reason=request")
	url := "http://" + adminAddr + "/snapshot"
	for _, c := range []struct {
		method, body string
		code         int
	}{
		{"POST", `{"tables":["shop.accounts"]}`, 401}, // sent without the token
		{"GET", "", 405},
		{"POST", `{"tables":["shop.*"]}`, 400},
		{"POST", `{"tables":["shop.accounts"],"extra":1}`, 400},
		{"POST", `{"tables":[]}`, 400},
		{"POST", `{"tables":["` + strings.Repeat("x", 70<<10) + `"]}`, 413},
		{"POST", `{"tables":["shop.accounts"]}`, 202},
	} {
		req, _ := http.NewRequest(c.method, url, strings.NewReader(c.body))
		if c.code != 401 {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s /snapshot %.40s: %d, want %d", c.method, c.body, resp.StatusCode, c.code)
		}
	}
	// A column added in the middle of the second re-sync: chunks read with
	// the old definition are read again with the new one.
	e2e.WaitLog(t, p, 30*time.Second, 2, "incremental snapshot started", "table=shop.accounts")
	e2e.MustExec(t, sdb, "ALTER TABLE shop.accounts ADD COLUMN extra INT NOT NULL DEFAULT 7")
	e2e.WaitLog(t, p, 60*time.Second, 2, "incremental snapshot table done", "table=shop.accounts", "reason=request")
	close(stop)
	txs := <-done
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.accounts", "shop.ledger")
	e2e.CheckNoRegressions(t, ddb)
	t.Logf("two re-syncs of 5000 rows under %d workload transactions", txs)
	e2e.ShowLog(t, p)
}

// accountsWorkload is the workload of TestCrashRecovery on 5000 accounts.
func accountsWorkload(t testing.TB, db *sql.DB, stop chan struct{}) int {
	rng := rand.New(rand.NewSource(11))
	n, ledger := 0, int64(0)
	for {
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
		for k := 0; k < 1+rng.Intn(3); k++ {
			a := 1 + rng.Intn(5000)
			ledger++
			if _, err = tx.Exec("UPDATE shop.accounts SET version = version + 1, balance = balance + 1, note = ? WHERE id = ?", fmt.Sprintf("tx %d", n), a); err == nil {
				_, err = tx.Exec("INSERT INTO shop.ledger VALUES (?, ?, 1)", ledger, a)
			}
			if err != nil {
				t.Errorf("workload: %v", err)
				return n
			}
		}
		if err := tx.Commit(); err != nil {
			t.Errorf("commit: %v", err)
			return n
		}
		n++
		time.Sleep(3 * time.Millisecond)
	}
}

// TestSnapshotPurged stops sluice, purges the binlog it had recorded, and
// restarts it: with the default snapshot: initial it fails naming the file
// and the fix; with when_needed it copies every table again, and rows
// deleted meanwhile leave the replica.
func TestSnapshotPurged(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\n"+e2e.ItemsTable("shop.items"))
	e2e.FillTable(t, sdb, "shop.items", 0, 2000)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items")
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	file, _ := e2e.MasterStatus(t, sdb)
	e2e.MustExec(t, sdb, "DELETE FROM shop.items WHERE id < 500")
	e2e.MustExec(t, sdb, "UPDATE shop.items SET qty = -1 WHERE id >= 1900")
	e2e.MustExec(t, sdb, "FLUSH BINARY LOGS")
	cur, _ := e2e.MasterStatus(t, sdb)
	// MariaDB keeps a file until its binlog checkpoint is written: retry.
	for i := 0; ; i++ {
		e2e.MustExec(t, sdb, "PURGE BINARY LOGS TO '"+cur+"'")
		var first string
		var size sql.NullString
		if err := sdb.QueryRow("SHOW BINARY LOGS").Scan(&first, &size); err != nil {
			t.Fatal(err)
		}
		if first == cur {
			break
		}
		if i == 100 {
			t.Fatalf("PURGE BINARY LOGS TO %s kept %s", cur, first)
		}
		time.Sleep(100 * time.Millisecond)
	}

	first := len(p.Log())
	p.Start()
	if ended, _ := p.Wait(60 * time.Second); !ended {
		t.Fatalf("sluice kept running on a purged position:\n%s", e2e.Tail(p.Log(), 20))
	}
	log := p.Log()[first:]
	if !strings.Contains(log, file) || !strings.Contains(log, "snapshot: when_needed") {
		t.Fatalf("the failure does not name the purged file %s and the fix:\n%s", file, e2e.Tail(log, 20))
	}
	e2e.EditConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 100\n    snapshot: when_needed\n")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items")
	if !strings.Contains(p.Log(), "snapshotting every table again") {
		t.Errorf("when_needed did not report the new snapshot:\n%s", e2e.Tail(p.Log(), 20))
	}
}
