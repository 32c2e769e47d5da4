package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// regressSchema is the shop schema of the fault tests; on the replica,
// regressTrigger records every update that moves an account back to an
// older version (the per-key order invariant).
const (
	regressSchema = `CREATE DATABASE shop;
CREATE TABLE shop.accounts (id INT PRIMARY KEY, version BIGINT NOT NULL, balance BIGINT NOT NULL, note VARCHAR(64) NULL);
CREATE TABLE shop.ledger (id BIGINT PRIMARY KEY, account INT NOT NULL, delta BIGINT NOT NULL)`
	regressTrigger = `;
CREATE DATABASE audit;
CREATE TABLE audit.regressions (id INT, old_version BIGINT, new_version BIGINT);
CREATE TRIGGER shop.accounts_no_regress AFTER UPDATE ON shop.accounts FOR EACH ROW
  INSERT INTO audit.regressions SELECT NEW.id, OLD.version, NEW.version FROM DUAL WHERE NEW.version < OLD.version`
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
	execAll(t, sdb, regressSchema)
	execAll(t, ddb, regressSchema+regressTrigger)
	for i := 1; i <= 200; i++ {
		mustExec(t, sdb, "INSERT INTO shop.accounts VALUES (?, 0, 1000, NULL)", i)
	}
	cfgPath, _ := writeConfig(t, t.TempDir(), src, dst, true)
	broker := startProc(t, "broker.log", "broker", "--config", cfgPath)
	source := startProc(t, "source.log", "run", "--config", cfgPath, "--connector", "src", "--admin", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	admin := []string{fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	sinks := make([]*proc, 3)
	startSink := func(i int) {
		sinks[i] = startProc(t, fmt.Sprintf("sink-%c.log", 'a'+i), "run", "--config", cfgPath, "--connector", "replica-1", "--admin", admin[i])
	}
	startSink(0)
	waitGauge(t, admin[0], "sluice_sink_leader", "replica-1", 30*time.Second)
	procs := []*proc{broker, source, sinks[0]}
	t.Cleanup(func() {
		if t.Failed() {
			for i, p := range sinks {
				t.Logf("sink %c:\n%s", 'a'+i, tail(p.logText(), 40))
			}
		}
	})
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- standbyWorkload(t, sdb, stop) }()
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
		if err := sinks[l0].stop(); err != nil {
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
	sinks[l1].kill() // 3 -> 1
	l2 := waitNewLeader(t, admin, l1, 20*time.Second)
	kill := time.Since(killed)
	t.Logf("MEASURE sink scale: the last standby led %s after SIGKILL of the leader", kill.Round(10*time.Millisecond))
	if kill > 12*time.Second {
		t.Errorf("takeover after SIGKILL took %v, want within seconds (session 6s)", kill)
	}
	waitHTTP(t, "http://"+admin[l2]+"/readyz", 30*time.Second)
	t.Logf("MEASURE sink scale: the new leader ready %s after the SIGKILL", time.Since(killed).Round(10*time.Millisecond))
	time.Sleep(2 * time.Second)
	close(stop)
	txs := <-done
	waitEqual(t, sdb, ddb, 60*time.Second, procs, "shop.accounts", "shop.ledger")
	samples, both := w.stop()
	if both != "" {
		t.Errorf("two processes applied at once: %s", both)
	}
	var regressions, epoch int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM audit.regressions").Scan(&regressions); err != nil {
		t.Fatal(err)
	}
	if regressions > 0 {
		t.Errorf("%d updates moved an account back to an older version on the replica", regressions)
	}
	if err := ddb.QueryRow("SELECT epoch FROM sluice.sluice_leaders WHERE sink = 'test/replica-1'").Scan(&epoch); err != nil {
		t.Fatal(err)
	}
	claims := 0 // every (re)start as leader claims: a restart after an error too
	for _, p := range sinks {
		claims += strings.Count(p.logText(), `msg="leading the sink"`)
	}
	if epoch != claims || claims < 3 {
		t.Errorf("leader epoch %d on the replica after %d claims in the logs, want one epoch per claim, at least 3 (a, then two takeovers)", epoch, claims)
	}
	rows := tableCount(t, ddb, "shop.ledger")
	t.Logf("workload committed %d transactions, %d ledger rows equal; %d leader samples, never two appliers; epoch %d",
		txs, rows, samples, epoch)
	result := "pass"
	if t.Failed() {
		result = "FAIL"
	}
	soakRow(t, "sink scaled 1->3->1 (SIGTERM, then SIGKILL of the applier)", 2, rows,
		fmt.Sprintf("%s after SIGTERM, %s after SIGKILL", term.Round(10*time.Millisecond), kill.Round(10*time.Millisecond)), result)
}

// gaugeOf returns the value (0 or 1) of the gauge metric of connector at
// admin, or -1 when the process does not answer.
func gaugeOf(admin, metric, connector string) int {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, metric+"{") && strings.Contains(l, `connector="`+connector+`"`) {
			if strings.HasSuffix(l, " 1") {
				return 1
			}
			return 0
		}
	}
	return -1
}

// waitGauge waits until the gauge of connector at admin reads 1.
func waitGauge(t *testing.T, admin, metric, connector string, timeout time.Duration) time.Time {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if gaugeOf(admin, metric, connector) == 1 {
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
	g := gaugeOf(admin, "sluice_sink_leader", "replica-1")
	resp, err := http.Get("http://" + admin + "/readyz")
	if err != nil {
		return err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ready := strings.TrimSpace(string(b))
	state := connectorState(admin, "replica-1")
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
			if i != old && gaugeOf(a, "sluice_sink_leader", "replica-1") == 1 {
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
				if gaugeOf(a, "sluice_sink_leader", "replica-1") == 1 {
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

// connectorState returns the state /status of the process at admin gives
// connector, "" when it does not answer.
func connectorState(admin, connector string) string {
	resp, err := http.Get("http://" + admin + "/status")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var st struct {
		Connectors []struct{ Name, State string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	for _, c := range st.Connectors {
		if c.Name == connector {
			return c.State
		}
	}
	return ""
}
