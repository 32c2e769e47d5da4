package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestStatus runs the broker, a source and a sink as separate processes and
// checks what an operator sees: /status of each process (the source's
// recorded position reaches the server's end of binlog, the sink's lag and
// partition offsets settle), the lag metrics reach 0, `sluice status` run
// as its own process names both connectors running (exit 0), and after the
// sink process is killed shows it stale from its announcement (exit 1).
func TestStatus(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.ShopSchema)
	e2e.Seed(t, sdb, 1, 100)

	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, true)
	srcAdmin, sinkAdmin := e2e.FreeAddr(t), e2e.FreeAddr(t)
	broker := e2e.StartBroker(t, cfg)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(broker.Log(), "embedded broker started"); {
		if time.Now().After(deadline) {
			t.Fatalf("broker did not start:\n%s", broker.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	source := e2e.StartConnector(t, "source.log", cfg, "src", srcAdmin)
	sink := e2e.StartConnector(t, "sink.log", cfg, "replica-1", sinkAdmin)
	procs := []*e2e.Proc{broker, source, sink}
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, procs, e2e.ShopTables...)

	e2e.Seed(t, sdb, 1000, 20) // streamed, after the snapshot
	e2e.WaitEqual(t, sdb, ddb, 20*time.Second, procs, e2e.ShopTables...)
	file, end := e2e.MasterStatus(t, sdb)
	pos := uint32(end)

	// The source's recorded position reaches the server's end of binlog.
	srcDoc := pollStatus(t, srcAdmin, 10*time.Second, procs, func(d *admin.ProcessStatus) string {
		p := d.Connectors[0].Position
		if p == nil || p.File != file || p.Pos != pos || p.BehindBytes != 0 || p.ServerFile != file || p.ServerPos != pos {
			return fmt.Sprintf("position %+v, SHOW MASTER STATUS %s:%d", p, file, pos)
		}
		return ""
	})
	// The sink has committed every partition to its end, and its lag is 0.
	sinkDoc := pollStatus(t, sinkAdmin, 10*time.Second, procs, func(d *admin.ProcessStatus) string {
		c := d.Connectors[0]
		if c.ReplicationLagSeconds == nil || *c.ReplicationLagSeconds != 0 || len(c.Partitions) < 2 {
			return fmt.Sprintf("lag %v, %d partitions", c.ReplicationLagSeconds, len(c.Partitions))
		}
		for _, p := range c.Partitions {
			if p.Committed != p.End || p.Lag != 0 || p.End == 0 && strings.HasSuffix(p.Topic, ".transaction") {
				return fmt.Sprintf("partition %+v", p)
			}
		}
		return ""
	})
	for _, d := range []*admin.ProcessStatus{srcDoc, sinkDoc} {
		if c := d.Connectors[0]; c.State != "running" || d.Pipeline != "test" || d.PID == 0 {
			t.Errorf("status of %s: %+v", c.Name, d)
		}
	}
	b, _ := json.MarshalIndent(srcDoc, "", "  ")
	t.Logf("source /status:\n%s", b)
	b, _ = json.MarshalIndent(sinkDoc, "", "  ")
	t.Logf("sink /status:\n%s", b)

	// The lag metrics exist and are 0 once caught up.
	waitMetricZero(t, sinkAdmin, "sluice_sink_consumer_lag_messages", 10*time.Second)
	waitMetricZero(t, sinkAdmin, "sluice_sink_replication_lag_seconds", 10*time.Second)
	waitMetricZero(t, srcAdmin, "sluice_source_binlog_behind_bytes", 10*time.Second)
	if m := e2e.HTTPGet(t, "http://"+srcAdmin+"/metrics"); !strings.Contains(m, "sluice_source_binlog_retention_seconds{") {
		t.Errorf("/metrics of the source lacks sluice_source_binlog_retention_seconds")
	}

	// sluice status, as an operator runs it.
	out, code := e2e.Output(t, "status", "--config", cfg, "--admin", srcAdmin, "--admin", sinkAdmin)
	t.Logf("sluice status (exit %d):\n%s", code, out)
	if code != 0 || !regexpLine(out, "src", "mysql-source", "running") || !regexpLine(out, "replica-1", "mysql-sink", "running") {
		t.Errorf("sluice status: exit %d, want 0 and both connectors running", code)
	}
	// Without --admin, the processes are found through the status topic.
	out, code = e2e.Output(t, "status", "--config", cfg, "--format", "json")
	var rep struct {
		Connectors []struct {
			Name, State string
			Stale       bool
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || len(rep.Connectors) != 2 {
		t.Errorf("sluice status --format json: exit %d, %v:\n%s", code, err, out)
	}

	sink.Kill()
	out, code = e2e.Output(t, "status", "--config", cfg)
	t.Logf("sluice status after killing the sink (exit %d):\n%s", code, out)
	if code != 1 || !regexpLine(out, "replica-1", "STALE") || !strings.Contains(out, "UNREACHABLE") || !regexpLine(out, "src", "running") {
		t.Errorf("sluice status after killing the sink: exit %d, want 1 with replica-1 stale", code)
	}
	broker.Kill()
	source.Kill()
	out, code = e2e.Output(t, "status", "--config", cfg, "--timeout", "2s")
	if code != 2 {
		t.Errorf("sluice status with nothing running: exit %d, want 2:\n%s", code, out)
	}
	e2e.CheckNoRace(t, procs...)
}

// pollStatus polls addr's /status until check returns "" and returns the
// document.
func pollStatus(t *testing.T, addr string, timeout time.Duration, procs []*e2e.Proc, check func(*admin.ProcessStatus) string) *admin.ProcessStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for time.Now().Before(deadline) {
		var d admin.ProcessStatus
		if err := json.Unmarshal([]byte(e2e.HTTPGet(t, "http://"+addr+"/status")), &d); err != nil {
			t.Fatalf("/status of %s: %v", addr, err)
		}
		if len(d.Connectors) != 1 {
			t.Fatalf("/status of %s: %d connectors", addr, len(d.Connectors))
		}
		if why = check(&d); why == "" {
			return &d
		}
		time.Sleep(200 * time.Millisecond)
	}
	e2e.LogTails(t, 30, procs...)
	t.Fatalf("/status of %s: %s", addr, why)
	return nil
}

// waitMetricZero waits until every series of name on addr is 0, and fails
// when there is none.
func waitMetricZero(t *testing.T, addr, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []string
	for time.Now().Before(deadline) {
		last = nil
		zero := true
		for _, l := range strings.Split(e2e.HTTPGet(t, "http://"+addr+"/metrics"), "\n") {
			if !strings.HasPrefix(l, name+"{") {
				continue
			}
			last = append(last, l)
			v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
			zero = zero && err == nil && v == 0
		}
		if len(last) > 0 && zero {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("%s on %s did not reach 0: %q", name, addr, last)
}

// regexpLine reports whether one line of out starts with first and
// contains every one of rest, in order.
func regexpLine(out, first string, rest ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, first+" ") {
			continue
		}
		ok := true
		i := 0
		for _, r := range rest {
			j := strings.Index(l[i:], r)
			if j < 0 {
				ok = false
				break
			}
			i += j + len(r)
		}
		if ok {
			return true
		}
	}
	return false
}
