package main

import (
	"database/sql"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// showLog logs p's log when SLUICE_SHOW_LOG is set.
func showLog(t testing.TB, p *proc) {
	if os.Getenv("SLUICE_SHOW_LOG") != "" {
		t.Log(p.logText())
	}
}

// waitLog waits until the process log holds n lines containing all words.
func waitLog(t testing.TB, p *proc, timeout time.Duration, n int, words ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c := 0
		for _, line := range strings.Split(p.logText(), "\n") {
			ok := true
			for _, w := range words {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				c++
			}
		}
		if c >= n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("log has not %d lines with %q after %s:\n%s", n, words, timeout, tail(p.logText(), 40))
}

// TestSnapshotTableAdded adds a table to tables: of a running pipeline and
// restarts it: only that table is copied, by an incremental snapshot, while
// the other keeps streaming.
func TestSnapshotTableAdded(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	execAll(t, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.items (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL);\n"+
		"CREATE TABLE shop.extra (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL)")
	fillTable(t, sdb, "shop.items", 0, 1000)
	fillTable(t, sdb, "shop.extra", 0, 5000)
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	editConfig(t, cfg, `tables: ["shop.*"]`, `tables: ["shop.items"]`)
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.items")
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if replicaHasTable(ddb, "shop.extra") {
		t.Fatal("shop.extra reached the replica before it was selected")
	}
	editConfig(t, cfg, `tables: ["shop.items"]`, `tables: ["shop.items", "shop.extra"]`)
	first := len(p.logText())
	p.start()
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- snapItemsWorkload(t, sdb, stop) }()
	waitLog(t, p, 60*time.Second, 1, "incremental snapshot table done", "table=shop.extra")
	close(stop)
	n := <-done
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.items", "shop.extra")
	log := p.logText()[first:]
	if strings.Contains(log, `msg="snapshot started"`) || strings.Contains(log, "table=shop.items reason") {
		t.Errorf("the restart copied more than the added table:\n%s", tail(log, 30))
	}
	if !strings.Contains(log, "snapshotting it while streaming") {
		t.Errorf("the restart did not report the added table:\n%s", tail(log, 30))
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
	const schema = `CREATE DATABASE shop;
CREATE TABLE shop.accounts (id INT PRIMARY KEY, version BIGINT NOT NULL, balance BIGINT NOT NULL, note VARCHAR(64) NULL);
CREATE TABLE shop.ledger (id BIGINT PRIMARY KEY, account INT NOT NULL, delta BIGINT NOT NULL)`
	execAll(t, sdb, schema)
	execAll(t, ddb, schema+`;
CREATE DATABASE audit;
CREATE TABLE audit.regressions (id INT, old_version BIGINT, new_version BIGINT);
CREATE TRIGGER shop.accounts_no_regress AFTER UPDATE ON shop.accounts FOR EACH ROW
  INSERT INTO audit.regressions SELECT NEW.id, OLD.version, NEW.version FROM DUAL WHERE NEW.version < OLD.version`)
	var b strings.Builder
	b.WriteString("INSERT INTO shop.accounts VALUES ")
	for i := 1; i <= 5000; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 0, 1000, NULL)", i)
	}
	mustExec(t, sdb, b.String())
	cfg, adminAddr := writeConfig(t, t.TempDir(), src, dst, false)
	editConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 500\n")
	const token = "snapshot-test-token-0123456789"
	editConfig(t, cfg, "admin:\n", "admin:\n  token: \""+token+"\"\n")
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.accounts")

	// The replica drifts: a row lost, a row gained, a value changed.
	mustExec(t, ddb, "DELETE FROM shop.accounts WHERE id = 4000")
	mustExec(t, ddb, "INSERT INTO shop.accounts VALUES (999999, 0, 0, 'stray')")
	mustExec(t, ddb, "UPDATE shop.accounts SET balance = -1 WHERE id = 2")
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- accountsWorkload(t, sdb, stop) }()
	time.Sleep(500 * time.Millisecond)

	out, err := exec.Command(binary, "snapshot", "--config", cfg, "--table", "shop.accounts").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"tables":["shop.accounts"]`) {
		t.Fatalf("sluice snapshot: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "snapshot", "--config", cfg, "--table", "other.t").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "not selected by source src") {
		t.Errorf("sluice snapshot of an unselected table: %v\n%s", err, out)
	}
	waitLog(t, p, 60*time.Second, 1, "incremental snapshot table done", "table=shop.accounts", "reason=request")
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
	waitLog(t, p, 30*time.Second, 2, "incremental snapshot started", "table=shop.accounts")
	mustExec(t, sdb, "ALTER TABLE shop.accounts ADD COLUMN extra INT NOT NULL DEFAULT 7")
	waitLog(t, p, 60*time.Second, 2, "incremental snapshot table done", "table=shop.accounts", "reason=request")
	close(stop)
	txs := <-done
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.accounts", "shop.ledger")
	var regressions int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM audit.regressions").Scan(&regressions); err != nil {
		t.Fatal(err)
	}
	if regressions > 0 {
		t.Errorf("%d updates moved an account back to an older version on the replica", regressions)
	}
	t.Logf("two re-syncs of 5000 rows under %d workload transactions", txs)
	showLog(t, p)
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
	execAll(t, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.items (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL)")
	fillTable(t, sdb, "shop.items", 0, 2000)
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.items")
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	var file string
	var pos int64
	var x1, x2, x3 sql.NullString
	if err := sdb.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &x1, &x2); err != nil {
		_ = sdb.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &x1, &x2, &x3)
	}
	mustExec(t, sdb, "DELETE FROM shop.items WHERE id < 500")
	mustExec(t, sdb, "UPDATE shop.items SET qty = -1 WHERE id >= 1900")
	mustExec(t, sdb, "FLUSH BINARY LOGS")
	var cur string
	if err := sdb.QueryRow("SHOW MASTER STATUS").Scan(&cur, &pos, &x1, &x2); err != nil {
		t.Fatal(err)
	}
	// MariaDB keeps a file until its binlog checkpoint is written: retry.
	for i := 0; ; i++ {
		mustExec(t, sdb, "PURGE BINARY LOGS TO '"+cur+"'")
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

	first := len(p.logText())
	p.start()
	select {
	case <-p.done:
		p.done <- nil
	case <-time.After(60 * time.Second):
		t.Fatalf("sluice kept running on a purged position:\n%s", tail(p.logText(), 20))
	}
	log := p.logText()[first:]
	if !strings.Contains(log, file) || !strings.Contains(log, "snapshot: when_needed") {
		t.Fatalf("the failure does not name the purged file %s and the fix:\n%s", file, tail(log, 20))
	}
	p.cmd = nil
	editConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 100\n    snapshot: when_needed\n")
	p.start()
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.items")
	if !strings.Contains(p.logText(), "snapshotting every table again") {
		t.Errorf("when_needed did not report the new snapshot:\n%s", tail(p.logText(), 20))
	}
}
