package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestSinkScale (issue 6, fault 9) scales the sink replica-1 from one
// process to three and back under a running workload. Transactions are
// applied atomically in commit order by one writer, so the extra processes
// are hot standbys: exactly one applies at a time (the sluice_sink_leader
// gauges, sampled every 50 ms, are never 1 in two processes), the others
// report "standby" in /readyz and /status. The leader is stopped with
// SIGTERM (a standby leads at once), the next one killed with SIGKILL (the
// last one leads after the coordinator expires it). Each leader claims
// the next epoch on the replica (one per "leading the sink" in the logs). The replica ends equal to the
// source, and no account ever moved back to an older version.
func TestSinkScale(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.SetupAccounts(t, sdb, ddb, 200)
	cfgPath, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, true)
	broker := e2e.StartBroker(t, cfgPath)
	source := e2e.StartConnector(t, "source.log", cfgPath, "src", e2e.FreeAddr(t))
	admin := []string{e2e.FreeAddr(t), e2e.FreeAddr(t), e2e.FreeAddr(t)}
	sinks := make([]*e2e.Proc, 3)
	startSink := func(i int) {
		sinks[i] = e2e.StartConnector(t, fmt.Sprintf("sink-%c.log", 'a'+i), cfgPath, "replica-1", admin[i])
	}
	startSink(0)
	waitGauge(t, admin[0], "sluice_sink_leader", "replica-1", 30*time.Second)
	procs := []*e2e.Proc{broker, source, sinks[0]}
	t.Cleanup(func() {
		if t.Failed() {
			for i, p := range sinks {
				t.Logf("sink %c:\n%s", 'a'+i, e2e.Tail(p.Log(), 40))
			}
		}
	})
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- e2e.AccountsRoundRobin(t, sdb, stop) }()
	w := watchAppliers(admin)
	defer w.stop()

	startSink(1) // 1 -> 3
	startSink(2)
	procs = append(procs, sinks[1], sinks[2])
	l0 := waitSinkRoles(t, admin, 30*time.Second)
	if l0 != 0 {
		t.Logf("sink a lost the lead when b and c joined (its lease lapsed on a busy machine)")
	}
	time.Sleep(2 * time.Second) // three processes, the workload running

	stopped := time.Now()
	go func() {
		if err := sinks[l0].Stop(); err != nil {
			t.Errorf("sink a after SIGTERM: %v", err)
		}
	}()
	l1 := waitNewLeader(t, admin, l0, 20*time.Second)
	term := time.Since(stopped)
	t.Logf("MEASURE sink scale: a standby led %s after SIGTERM of the leader", term.Round(10*time.Millisecond))
	if term > 5*time.Second {
		t.Errorf("takeover after SIGTERM took %v, want about a second (the leader leaves the group)", term)
	}
	time.Sleep(2 * time.Second)

	killed := time.Now()
	sinks[l1].Kill() // 3 -> 1
	l2 := waitNewLeader(t, admin, l1, 20*time.Second)
	kill := time.Since(killed)
	t.Logf("MEASURE sink scale: the last standby led %s after SIGKILL of the leader", kill.Round(10*time.Millisecond))
	if kill > 12*time.Second {
		t.Errorf("takeover after SIGKILL took %v, want within seconds (session 6s)", kill)
	}
	e2e.WaitHTTP(t, "http://"+admin[l2]+"/readyz", 30*time.Second)
	t.Logf("MEASURE sink scale: the new leader ready %s after the SIGKILL", time.Since(killed).Round(10*time.Millisecond))
	time.Sleep(2 * time.Second)
	close(stop)
	txs := <-done
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, procs, "shop.accounts", "shop.ledger")
	samples, both := w.stop()
	if both != "" {
		t.Errorf("two processes applied at once: %s", both)
	}
	e2e.CheckNoRegressions(t, ddb)
	var epoch int
	if err := ddb.QueryRow("SELECT epoch FROM sluice.sluice_leaders WHERE sink = 'test/replica-1'").Scan(&epoch); err != nil {
		t.Fatal(err)
	}
	claims := 0 // every (re)start as leader claims: a restart after an error too
	for _, p := range sinks {
		claims += strings.Count(p.Log(), `msg="leading the sink"`)
	}
	if epoch != claims || claims < 3 {
		t.Errorf("leader epoch %d on the replica after %d claims in the logs, want one epoch per claim, at least 3 (a, then two takeovers)", epoch, claims)
	}
	rows := e2e.TableCount(t, ddb, "shop.ledger")
	t.Logf("workload committed %d transactions, %d ledger rows equal; %d leader samples, never two appliers; epoch %d",
		txs, rows, samples, epoch)
	result := e2e.Result(t)
	e2e.SoakRow(t, "sink scaled 1->3->1 (SIGTERM, then SIGKILL of the applier)", 2, rows,
		fmt.Sprintf("%s after SIGTERM, %s after SIGKILL", term.Round(10*time.Millisecond), kill.Round(10*time.Millisecond)), result)
}

// waitGauge waits until the gauge of connector at admin reads 1.
func waitGauge(t *testing.T, admin, metric, connector string, timeout time.Duration) time.Time {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if e2e.GaugeOf(admin, metric, connector) == 1 {
			return time.Now()
		}
	}
	t.Fatalf("%s did not lead %s within %v", admin, connector, timeout)
	return time.Time{}
}

// sinkRole returns "leader" or "standby" when the process at admin's
// sluice_sink_leader gauge, /readyz and /status all agree, else what they
// said.
func sinkRole(admin string) string {
	g := e2e.GaugeOf(admin, "sluice_sink_leader", "replica-1")
	resp, err := http.Get("http://" + admin + "/readyz")
	if err != nil {
		return err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ready := strings.TrimSpace(string(b))
	state := e2e.ConnectorState(admin, "replica-1")
	switch {
	case g == 1 && resp.StatusCode == http.StatusOK && state == "running":
		return "leader"
	case g == 0 && strings.Contains(ready, "standby (leader: ") && state == "standby":
		return "standby"
	}
	return fmt.Sprintf("gauge %d, /readyz %d %q, state %q", g, resp.StatusCode, ready, state)
}

// waitSinkRoles waits until one process leads and all others are
// standbys, and returns the leader's index.
func waitSinkRoles(t *testing.T, admin []string, timeout time.Duration) int {
	t.Helper()
	var last string
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		leader, standbys := -1, 0
		for i, a := range admin {
			switch r := sinkRole(a); r {
			case "leader":
				leader = i
			case "standby":
				standbys++
			default:
				last = a + ": " + r
			}
		}
		if leader >= 0 && standbys == len(admin)-1 {
			t.Logf("%s leads replica-1; the others are standbys", admin[leader])
			return leader
		}
	}
	t.Fatalf("roles not settled after %v: %s", timeout, last)
	return -1
}

// waitNewLeader waits until a process other than admin[old] leads the
// sink and returns its index.
func waitNewLeader(t *testing.T, admin []string, old int, timeout time.Duration) int {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		for i, a := range admin {
			if i != old && e2e.GaugeOf(a, "sluice_sink_leader", "replica-1") == 1 {
				return i
			}
		}
	}
	t.Fatalf("no other process led replica-1 within %v of the leader's end", timeout)
	return -1
}

// applierWatch samples every process's sluice_sink_leader every 50 ms.
type applierWatch struct {
	mu      sync.Mutex
	samples int
	both    string // the first sample with two leaders
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func watchAppliers(admin []string) *applierWatch {
	w := &applierWatch{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
			var leading []string
			for _, a := range admin {
				if e2e.GaugeOf(a, "sluice_sink_leader", "replica-1") == 1 {
					leading = append(leading, a)
				}
			}
			w.mu.Lock()
			w.samples++
			if len(leading) > 1 && w.both == "" {
				w.both = strings.Join(leading, " and ")
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// stop ends the sampling and returns the number of samples and the first
// one with two leaders ("" when none).
func (w *applierWatch) stop() (int, string) {
	w.once.Do(func() { close(w.quit) })
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.samples, w.both
}
