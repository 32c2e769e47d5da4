package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestStandbyReader (issue 6, fault 8) runs the same source in two
// processes against one MariaDB under a workload: only one leads and
// publishes (the sluice_source_leader gauges are never both 1), the other
// reports "standby" in /readyz and /status; the leader is SIGKILLed and the
// standby takes over within seconds; the killed one, restarted, waits as a
// standby; the replica ends equal to the source with no update moved back
// to an older version.
func TestStandbyReader(t *testing.T) {
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
	for i := 1; i <= 200; i++ {
		mustExec(t, sdb, "INSERT INTO shop.accounts VALUES (?, 0, 1000, NULL)", i)
	}
	cfgPath, _ := writeConfig(t, t.TempDir(), src, dst, true)
	broker := startProc(t, "broker.log", "broker", "--config", cfgPath)
	admin := []string{fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	sink := startProc(t, "sink.log", "run", "--config", cfgPath, "--connector", "replica-1", "--admin", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	a := startProc(t, "source-a.log", "run", "--config", cfgPath, "--connector", "src", "--admin", admin[0])
	waitLeader(t, admin[0], 30*time.Second)
	b := startProc(t, "source-b.log", "run", "--config", cfgPath, "--connector", "src", "--admin", admin[1])
	procs := []*proc{broker, sink, a, b}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source a:\n%s\nsource b:\n%s", tail(a.logText(), 40), tail(b.logText(), 40))
		}
	})
	if l := waitRoles(t, admin, 20*time.Second); l != 0 {
		t.Logf("b leads: a handed over at start (a lease lapsed on a busy broker)")
	}

	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- standbyWorkload(t, sdb, stop) }()
	watchOne(t, admin, 3*time.Second) // both running, one leads

	l := waitRoles(t, admin, 20*time.Second)
	leader := []*proc{a, b}[l]
	killed := time.Now()
	leader.kill()
	took := waitLeader(t, admin[1-l], 20*time.Second)
	t.Logf("standby took over %v after the leader was SIGKILLed", took.Sub(killed).Round(10*time.Millisecond))
	if d := took.Sub(killed); d > 12*time.Second {
		t.Errorf("takeover took %v, want within seconds (session %v)", d, 6*time.Second)
	}
	leader.start()
	if waitRoles(t, admin, 20*time.Second) != 1-l {
		t.Errorf("the restarted process took the lead back from the live one")
	}
	watchOne(t, admin, 2*time.Second)
	close(stop)
	txs := <-done
	t.Logf("workload committed %d transactions", txs)
	waitEqual(t, sdb, ddb, 120*time.Second, procs, "shop.accounts", "shop.ledger")
	var regressions int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM audit.regressions").Scan(&regressions); err != nil {
		t.Fatal(err)
	}
	if regressions > 0 {
		t.Errorf("%d updates moved an account back to an older version on the replica", regressions)
	}
	if !strings.Contains(b.logText()+a.logText(), "standby: another process leads this source") {
		t.Errorf("the second reader never logged that it waits as a standby")
	}
}

// standbyWorkload commits transactions that each bump one account's version
// and add a ledger row, until stop is closed; it returns how many.
func standbyWorkload(t *testing.T, db *sql.DB, stop chan struct{}) int {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return n
		default:
		}
		tx, err := db.Begin()
		if err == nil {
			a := 1 + n%200
			if _, err = tx.Exec("UPDATE shop.accounts SET version = version + 1, balance = balance + 1, note = ? WHERE id = ?", fmt.Sprint("tx ", n), a); err == nil {
				_, err = tx.Exec("INSERT INTO shop.ledger VALUES (?, ?, 1)", n+1, a)
			}
			if err == nil {
				err = tx.Commit()
			}
		}
		if err != nil {
			t.Errorf("workload: %v", err)
			return n
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// leaderGauge returns sluice_source_leader of connector src at admin, or
// -1 when the process does not answer.
func leaderGauge(admin string) int { return gaugeOf(admin, "sluice_source_leader", "src") }

// waitLeader waits until the process at admin leads src and returns when.
func waitLeader(t *testing.T, admin string, timeout time.Duration) time.Time {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if leaderGauge(admin) == 1 {
			return time.Now()
		}
	}
	t.Fatalf("%s did not lead the source within %v", admin, timeout)
	return time.Time{}
}

// standbyNow reports whether /readyz and /status of the process at admin
// say it is a standby, with what they said.
func standbyNow(admin string) (ok bool, ready, state string) {
	resp, err := http.Get("http://" + admin + "/readyz")
	if err != nil {
		return false, err.Error(), ""
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ready = strings.TrimSpace(string(b))
	state = connectorState(admin, "src")
	return strings.Contains(ready, "standby (leader: ") && state == "standby" && leaderGauge(admin) == 0, ready, state
}

// waitRoles waits until one process leads and the other is a standby, and
// returns the index of the leader.
func waitRoles(t *testing.T, admin []string, timeout time.Duration) int {
	t.Helper()
	var ready, state string
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		for i := range admin {
			var ok bool
			if ok, ready, state = standbyNow(admin[1-i]); ok && leaderGauge(admin[i]) == 1 {
				t.Logf("%s leads; %s: /readyz %s", admin[i], admin[1-i], ready)
				return i
			}
		}
	}
	t.Fatalf("no process leads with the other a standby after %v: last /readyz %q, /status state %q", timeout, ready, state)
	return -1
}

// watchOne samples both processes' leader gauges for d: never both lead.
func watchOne(t *testing.T, admin []string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if leaderGauge(admin[0]) == 1 && leaderGauge(admin[1]) == 1 {
			t.Fatalf("both processes lead the source")
		}
	}
}
