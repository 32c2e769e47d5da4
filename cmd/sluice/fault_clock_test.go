package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/clock"
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
	execAll(t, sdb, regressSchema)
	execAll(t, ddb, regressSchema+regressTrigger)
	for i := 1; i <= 200; i++ {
		mustExec(t, sdb, "INSERT INTO shop.accounts VALUES (?, 0, 1000, NULL)", i)
	}
	cfgPath, _ := writeConfig(t, t.TempDir(), src, dst, true)
	broker := startProc(t, "broker.log", "broker", "--config", cfgPath)
	t.Setenv(clock.EnvJumps, clockJumps)
	admin := []string{fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	source := startProc(t, "source.log", "run", "--config", cfgPath, "--connector", "src", "--admin", admin[0])
	sink := startProc(t, "sink.log", "run", "--config", cfgPath, "--connector", "replica-1", "--admin", admin[1])
	started := time.Now()
	procs := []*proc{broker, source, sink}
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- standbyWorkload(t, sdb, stop) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source:\n%s\nsink:\n%s", tail(source.logText(), 40), tail(sink.logText(), 40))
		}
	})
	s := sampleClocks(admin)
	for _, a := range admin {
		waitHTTP(t, "http://"+a+"/readyz", 30*time.Second)
	}
	t.Logf("source and sink ready %s after they started", time.Since(started).Round(10*time.Millisecond))
	statuses := 0
	for time.Since(started) < 19*time.Second { // past the last jump of both processes
		out, code := runStatus(t, "--config", cfgPath, "--admin", admin[0], "--admin", admin[1])
		statuses++
		t.Logf("sluice status %.1fs after start: exit %d", time.Since(started).Seconds(), code)
		if code != 0 || strings.Contains(out, "STALE") {
			t.Errorf("sluice status %.0fs after start: exit %d:\n%s", time.Since(started).Seconds(), code, out)
		}
		time.Sleep(time.Second)
	}
	close(stop)
	txs := <-done
	waitEqual(t, sdb, ddb, 60*time.Second, procs, "shop.accounts", "shop.ledger")
	s.stop()
	var regressions int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM audit.regressions").Scan(&regressions); err != nil {
		t.Fatal(err)
	}
	if regressions > 0 {
		t.Errorf("%d updates moved an account back to an older version on the replica", regressions)
	}
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
	for _, p := range []*proc{source, sink} {
		if !strings.Contains(p.logText(), "the host's wall clock stepped since sluice started") {
			t.Errorf("%v did not log the clock step", p.args)
		}
	}
	result := "pass"
	if t.Failed() {
		result = "FAIL"
	}
	soakRow(t, "wall clock +1h, -2h, +1h in source and sink", 6, tableCount(t, ddb, "shop.ledger"),
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
	m := metricValues(admin)
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

// metricValues returns the metrics at admin by name, labels dropped (each
// process runs one connector).
func metricValues(admin string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		sp := strings.LastIndexByte(l, ' ')
		if sp < 0 {
			continue
		}
		name, _, _ := strings.Cut(l[:sp], "{")
		if v, err := strconv.ParseFloat(l[sp+1:], 64); err == nil {
			out[name] = v
		}
	}
	return out
}
