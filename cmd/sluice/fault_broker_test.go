package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// brokerDown is how long TestBrokerDown keeps the broker away: longer than
// every client timeout (kafka client requests 30 s, binlog read 30 s, fetch
// wait 2 s). SLUICE_BROKER_DOWN overrides it (a Go duration).
func brokerDown(t testing.TB) time.Duration {
	if v := os.Getenv("SLUICE_BROKER_DOWN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SLUICE_BROKER_DOWN=%q: %v", v, err)
		}
		return d
	}
	return 35 * time.Second
}

// readyBound is the documented bound for /readyz to turn 503 once the
// broker is gone: a Kafka ping every second with a 2 s timeout (3 s), plus
// slack for a loaded CI machine.
const readyBound = 6 * time.Second

// TestBrokerDown runs the broker, the source and the sink as separate
// processes under a workload and kills the broker for longer than every
// client timeout. While it is down the source's recorded position does not
// move, and /readyz answers 503 on both processes within readyBound; when
// it returns, both resume by themselves (no process is restarted by the
// test), and the replica ends equal with no partial transaction ever seen.
func TestBrokerDown(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.TxRowsSchema)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, true)
	sp := e2e.StartSplit(t, cfg)
	broker, source, sink, procs := sp.Broker, sp.Source, sp.Sink, sp.Procs()
	srcAdmin, sinkAdmin := sp.SourceAdmin, sp.SinkAdmin
	e2e.WaitHTTP(t, "http://"+srcAdmin+"/readyz", 60*time.Second)
	e2e.WaitHTTP(t, "http://"+sinkAdmin+"/readyz", 60*time.Second)

	chk := e2e.WatchPartial(t, ddb, "shop.txrows")
	wl := e2e.StartTxWorkload(t, sdb, 1, 10, 20*time.Millisecond)
	e2e.WaitFor(t, 60*time.Second, "rows on the replica", func() bool { return maxTx(ddb) > 100 })

	broker.Kill()
	down := time.Now()
	recorded := ""
	for _, a := range []string{srcAdmin, sinkAdmin} {
		e2e.WaitFor(t, readyBound, "/readyz 503 on "+a, func() bool { return readyCode(a) == http.StatusServiceUnavailable })
		t.Logf("MEASURE broker-down: %s /readyz 503 %s after the kill", a, time.Since(down).Round(time.Millisecond))
	}
	applied := maxTx(ddb)
	for time.Since(down) < brokerDown(t) {
		if c := readyCode(srcAdmin); c != http.StatusServiceUnavailable {
			t.Errorf("source /readyz = %d while the broker is down", c)
		}
		if c := readyCode(sinkAdmin); c != http.StatusServiceUnavailable {
			t.Errorf("sink /readyz = %d while the broker is down", c)
		}
		if pos := recordedMetric(srcAdmin); pos != "" {
			if recorded == "" {
				recorded = pos
			} else if pos != recorded {
				t.Errorf("recorded position moved from %s to %s while the broker was down", recorded, pos)
			}
		}
		if pos := recordedPosition(srcAdmin); pos != "" && pos != recorded {
			t.Errorf("/status shows recorded position %s, the metrics %s", pos, recorded)
		}
		time.Sleep(time.Second)
	}
	if recorded == "" {
		t.Errorf("the source never showed a recorded position while the broker was down")
	}
	if a := maxTx(ddb); a != applied {
		t.Errorf("the replica moved from tx %d to %d while the broker was down", applied, a)
	}
	t.Logf("broker down %s; source position held at %s; %d transactions committed at the source meanwhile",
		time.Since(down).Round(time.Second), recorded, wl.Committed()-applied)

	broker.Start()
	back := time.Now()
	for _, a := range []string{srcAdmin, sinkAdmin} {
		deadline := time.Now().Add(90 * time.Second)
		for readyCode(a) != http.StatusOK {
			if time.Now().After(deadline) {
				e2e.LogTails(t, 40, source, sink)
				t.Fatalf("%s /readyz not 200 90 s after the broker returned: %s", a, e2e.HTTPGet(t, "http://"+a+"/readyz"))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, p := range []*e2e.Proc{source, sink} {
		t.Logf("log of %v around the outage:\n%s", p.Args(), e2e.Tail(p.Log(), 15))
	}
	t.Logf("MEASURE broker-back: both /readyz 200 %s after the broker restarted", time.Since(back).Round(time.Millisecond))
	readyAgain := time.Since(back)
	target := wl.Committed()
	e2e.WaitFor(t, 90*time.Second, "the replica past what the source committed during the outage", func() bool { return maxTx(ddb) >= target })
	caughtUp := time.Since(back)
	t.Logf("MEASURE broker-back: replica caught up with the outage's %d transactions %s after the broker restarted",
		target-applied, time.Since(back).Round(time.Millisecond))
	txs := wl.Stop()
	e2e.WaitEqual(t, sdb, ddb, 90*time.Second, procs, "shop.txrows")
	checks, bad := chk.Stop()
	if bad != "" {
		t.Errorf("a partial transaction was visible on the replica: %s", bad)
	}
	for _, p := range []*e2e.Proc{source, sink} {
		if ended, err := p.Exited(); ended {
			t.Errorf("%v exited: %v", p.Args(), err)
		}
	}
	t.Logf("workload committed %d transactions; %d replica checks", txs, checks)
	result := e2e.Result(t)
	e2e.SoakRow(t, fmt.Sprintf("broker down %s", brokerDown(t)), 1, e2e.TableCount(t, ddb, "shop.txrows"),
		fmt.Sprintf("ready %s, caught up %s", readyAgain.Round(10*time.Millisecond), caughtUp.Round(10*time.Millisecond)), result)
}

func readyCode(addr string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// recordedMetric returns the recorded position from a source process's
// sluice_source_binlog_file_number and sluice_source_binlog_position (set
// each time the position is recorded), or "" before the first.
func recordedMetric(addr string) string {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	file, pos := e2e.MetricValue(string(b), "sluice_source_binlog_file_number"), e2e.MetricValue(string(b), "sluice_source_binlog_position")
	if file == 0 {
		return ""
	}
	return fmt.Sprintf("mariadb-bin.%06d:%d", int(file), int(pos))
}

// recordedPosition returns the first connector's recorded binlog position
// from a process's /status, or "" when it shows none.
func recordedPosition(addr string) string {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + addr + "/status")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var st struct {
		Connectors []struct {
			Position *struct {
				File string `json:"file"`
				Pos  uint32 `json:"pos"`
			} `json:"position"`
		} `json:"connectors"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil || len(st.Connectors) == 0 {
		return ""
	}
	p := st.Connectors[0].Position
	if p == nil || p.File == "" {
		return ""
	}
	return p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10)
}

// maxTx returns the highest workload tx id on db.
func maxTx(db *sql.DB) int {
	var m sql.NullInt64
	_ = db.QueryRow("SELECT MAX(tx) FROM shop.txrows").Scan(&m)
	return int(m.Int64)
}
