package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// clockJumps steps the wall clock of the source and sink processes (test
// hook, package clock): +1h 3 s after each started, then -2h (1h behind),
// then +1h back.
const clockJumps = "3s:+1h,9s:-2h,15s:+1h"

// TestClockJumps (issue 6, fault 10) runs the source and the sink as
// separate processes whose wall clocks jump forward an hour, back two
// hours and forward again while a workload runs. Order and dedupe rest on
// the binlog Seq and Kafka offsets only, so the replica ends equal to the
// source, nothing doubled (ledger rows by primary key) and no account
// moved back to an older version; the lag gauges and the replication lag
// histogram's mean stay non-negative and below a minute; `sluice status`
// reports both connectors running, never stale; the processes' /status
// time shows that the jumps happened, and each logs a WARN naming them.
func TestClockJumps(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.SetupAccounts(t, sdb, ddb, 200)
	cfgPath, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, true)
	broker := e2e.StartBroker(t, cfgPath)
	t.Setenv(clock.EnvJumps, clockJumps)
	admin := []string{e2e.FreeAddr(t), e2e.FreeAddr(t)}
	source := e2e.StartConnector(t, "source.log", cfgPath, "src", admin[0])
	sink := e2e.StartConnector(t, "sink.log", cfgPath, "replica-1", admin[1])
	started := time.Now()
	procs := []*e2e.Proc{broker, source, sink}
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- e2e.AccountsRoundRobin(t, sdb, stop) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source:\n%s\nsink:\n%s", e2e.Tail(source.Log(), 40), e2e.Tail(sink.Log(), 40))
		}
	})
	s := sampleClocks(admin)
	for _, a := range admin {
		e2e.WaitHTTP(t, "http://"+a+"/readyz", 30*time.Second)
	}
	t.Logf("source and sink ready %s after they started", time.Since(started).Round(10*time.Millisecond))
	statuses := 0
	for time.Since(started) < 19*time.Second { // past the last jump of both processes
		out, code := e2e.Output(t, "status", "--config", cfgPath, "--admin", admin[0], "--admin", admin[1])
		statuses++
		t.Logf("sluice status %.1fs after start: exit %d", time.Since(started).Seconds(), code)
		if code != 0 || strings.Contains(out, "STALE") {
			t.Errorf("sluice status %.0fs after start: exit %d:\n%s", time.Since(started).Seconds(), code, out)
		}
		time.Sleep(time.Second)
	}
	close(stop)
	txs := <-done
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, procs, "shop.accounts", "shop.ledger")
	s.stop()
	e2e.CheckNoRegressions(t, ddb)
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Logf("MEASURE clock jumps: %d transactions, replica equal; %d samples: source lag max %.2fs, sink lag max %.2fs, lag histogram mean %.2fs; /status clock offsets seen %v to %v; %d sluice status runs",
		txs, s.n, s.srcLag, s.sinkLag, s.histMean, s.minOff.Round(time.Second), s.maxOff.Round(time.Second), statuses)
	if s.minOff > -50*time.Minute || s.maxOff < 50*time.Minute {
		t.Errorf("the processes' clocks did not jump: /status time offsets %v to %v, want about -1h and +1h", s.minOff, s.maxOff)
	}
	for _, e := range s.bad {
		t.Error(e)
	}
	for _, p := range []*e2e.Proc{source, sink} {
		if !strings.Contains(p.Log(), "the host's wall clock stepped since sluice started") {
			t.Errorf("%v did not log the clock step", p.Args())
		}
	}
	result := e2e.Result(t)
	e2e.SoakRow(t, "wall clock +1h, -2h, +1h in source and sink", 6, e2e.TableCount(t, ddb, "shop.ledger"),
		fmt.Sprintf("none needed; lag max %.1fs", max(s.srcLag, s.sinkLag)), result)
}

// clockSamples polls the processes every 200 ms: their lag gauges, the
// sink's lag histogram and the offset of their /status time from ours.
type clockSamples struct {
	mu                        sync.Mutex
	n                         int
	srcLag, sinkLag, histMean float64
	minOff, maxOff            time.Duration
	bad                       []string
	quit, done                chan struct{}
}

func sampleClocks(admin []string) *clockSamples {
	s := &clockSamples{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			select {
			case <-s.quit:
				return
			case <-time.After(200 * time.Millisecond):
			}
			for _, a := range admin {
				s.sample(a)
			}
		}
	}()
	return s
}

func (s *clockSamples) stop() { close(s.quit); <-s.done }

func (s *clockSamples) sample(admin string) {
	m := e2e.MetricValues(admin)
	var st struct{ Time time.Time }
	if resp, err := http.Get("http://" + admin + "/status"); err == nil {
		_ = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if !st.Time.IsZero() {
		off := st.Time.Sub(time.Now())
		s.minOff, s.maxOff = min(s.minOff, off), max(s.maxOff, off)
	}
	check := func(name string, v float64, ok bool, keep *float64) {
		if !ok {
			return
		}
		*keep = max(*keep, v)
		if (v < 0 || v > 60) && len(s.bad) < 10 {
			s.bad = append(s.bad, fmt.Sprintf("%s at %s: %v, want 0 to 60 s", name, admin, v))
		}
	}
	v, ok := m["sluice_source_lag_seconds"]
	check("sluice_source_lag_seconds", v, ok, &s.srcLag)
	v, ok = m["sluice_sink_replication_lag_seconds"]
	check("sluice_sink_replication_lag_seconds", v, ok, &s.sinkLag)
	sum, ok1 := m["sluice_sink_replication_lag_distribution_seconds_sum"]
	n, ok2 := m["sluice_sink_replication_lag_distribution_seconds_count"]
	if ok1 && ok2 && n > 0 {
		check("mean of sluice_sink_replication_lag_distribution_seconds", sum/n, true, &s.histMean)
	}
}
