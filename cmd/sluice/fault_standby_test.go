package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
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
	e2e.SetupAccounts(t, sdb, ddb, 200)
	cfgPath, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, true)
	broker := e2e.StartBroker(t, cfgPath)
	admin := []string{e2e.FreeAddr(t), e2e.FreeAddr(t)}
	sink := e2e.StartConnector(t, "sink.log", cfgPath, "replica-1", e2e.FreeAddr(t))
	a := e2e.StartConnector(t, "source-a.log", cfgPath, "src", admin[0])
	waitLeader(t, admin[0], 30*time.Second)
	b := e2e.StartConnector(t, "source-b.log", cfgPath, "src", admin[1])
	procs := []*e2e.Proc{broker, sink, a, b}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source a:\n%s\nsource b:\n%s", e2e.Tail(a.Log(), 40), e2e.Tail(b.Log(), 40))
		}
	})
	if l := waitRoles(t, admin, 20*time.Second); l != 0 {
		t.Logf("b leads: a handed over at start (a lease lapsed on a busy broker)")
	}

	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- e2e.AccountsRoundRobin(t, sdb, stop) }()
	watchOne(t, admin, 3*time.Second) // both running, one leads

	l := waitRoles(t, admin, 20*time.Second)
	leader := []*e2e.Proc{a, b}[l]
	killed := time.Now()
	leader.Kill()
	took := waitLeader(t, admin[1-l], 20*time.Second)
	t.Logf("standby took over %v after the leader was SIGKILLed", took.Sub(killed).Round(10*time.Millisecond))
	if d := took.Sub(killed); d > 12*time.Second {
		t.Errorf("takeover took %v, want within seconds (session %v)", d, 6*time.Second)
	}
	leader.Start()
	if waitRoles(t, admin, 20*time.Second) != 1-l {
		t.Errorf("the restarted process took the lead back from the live one")
	}
	watchOne(t, admin, 2*time.Second)
	close(stop)
	txs := <-done
	t.Logf("workload committed %d transactions", txs)
	e2e.WaitEqual(t, sdb, ddb, 120*time.Second, procs, "shop.accounts", "shop.ledger")
	e2e.CheckNoRegressions(t, ddb)
	if !strings.Contains(b.Log()+a.Log(), "standby: another process leads this source") {
		t.Errorf("the second reader never logged that it waits as a standby")
	}
}

// leaderGauge returns sluice_source_leader of connector src at admin, or
// -1 when the process does not answer.
func leaderGauge(admin string) int { return e2e.GaugeOf(admin, "sluice_source_leader", "src") }

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
	state = e2e.ConnectorState(admin, "src")
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
