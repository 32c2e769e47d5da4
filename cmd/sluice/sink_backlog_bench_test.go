package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// BenchmarkSinkBacklog measures the sink alone: the source publishes a
// backlog to the broker while no sink runs, then a sink process starts
// and the time until the replica equals the source is its catch-up time.
// Workloads (BACKLOG_ROWS=N, default 200,000): insert, N rows in
// 1,000-row INSERT transactions; single, N/10 one-row INSERT
// transactions; update, N/10 one-row UPDATE transactions on 10,000 keys
// (each updated many times); mixed, N/40 sysbench-like transactions (two
// UPDATEs, a DELETE and an INSERT of one key). Run with a plain build:
//
//	SLUICE_E2E_NORACE=1 go test ./cmd/sluice/ -run '^$' -bench SinkBacklog -benchtime 1x -timeout 30m -v
func BenchmarkSinkBacklog(b *testing.B) {
	rows := 200_000
	if n, err := strconv.Atoi(os.Getenv("BACKLOG_ROWS")); err == nil && n > 0 {
		rows = n
	}
	for _, w := range []struct {
		name string
		gen  func(b *testing.B, exec func(q string)) int // returns row changes
	}{
		{"insert", func(b *testing.B, exec func(string)) int {
			for id := 0; id < rows; id += 1000 {
				exec(fmt.Sprintf("INSERT INTO shop.t (id, k, label, note) SELECT seq, seq %% 1000, CONCAT('item ', seq), REPEAT('n', 40 + seq %% 60) FROM shop.seq_%d_to_%d", id+1, id+1000))
			}
			return rows
		}},
		{"single", func(b *testing.B, exec func(string)) int {
			for id := 1; id <= rows/10; id++ { // a tenth: single-row transactions are slow to generate
				exec(fmt.Sprintf("INSERT INTO shop.t VALUES (%d, %d, 'item %d', 'note')", id, id%1000, id))
			}
			return rows / 10
		}},
		{"update", func(b *testing.B, exec func(string)) int {
			exec("INSERT INTO shop.t (id, k, label, note) SELECT seq, 0, 'x', 'y' FROM shop.seq_1_to_10000")
			for i := 0; i < rows/10; i++ {
				exec(fmt.Sprintf("UPDATE shop.t SET k = k + 1, label = 'v%d' WHERE id = %d", i, 1+(i*7919)%10000))
			}
			return rows/10 + 10000
		}},
		{"mixed", func(b *testing.B, exec func(string)) int {
			exec("INSERT INTO shop.t (id, k, label, note) SELECT seq, 0, 'x', 'y' FROM shop.seq_1_to_10000")
			for i := 0; i < rows/40; i++ {
				id := 1 + (i*7919)%10000
				exec(fmt.Sprintf("BEGIN; UPDATE shop.t SET k = k + 1 WHERE id = %[1]d; UPDATE shop.t SET label = 'v%[2]d' WHERE id = %[1]d; "+
					"DELETE FROM shop.t WHERE id = %[1]d; INSERT INTO shop.t VALUES (%[1]d, %[2]d, 'new', 'row'); COMMIT", id, i))
			}
			return rows/10 + 10000
		}},
	} {
		b.Run(w.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sinkBacklog(b, w.gen)
			}
		})
	}
}

func sinkBacklog(b *testing.B, gen func(b *testing.B, exec func(q string)) int) {
	opts := mariadbtest.Options{ExtraArgs: []string{"--innodb-buffer-pool-size=256M", "--innodb-log-file-size=256M"}}
	src, dst := mariadbtest.Start(b, opts), mariadbtest.Start(b, opts)
	sdb, ddb := src.DB(b), dst.DB(b)
	e2e.ExecAll(b, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.t (id INT PRIMARY KEY, k INT NOT NULL, label VARCHAR(64) NOT NULL, note VARCHAR(255) NOT NULL, KEY (k))")
	cfg, _ := e2e.WriteConfig(b, b.TempDir(), src, dst, true)
	e2e.EditConfig(b, cfg, "    batch_rows: 500\n", "")
	srcAdmin, sinkAdmin := e2e.FreeAddr(b), e2e.FreeAddr(b)
	broker := e2e.StartBroker(b, cfg)
	source := e2e.StartConnector(b, "src.log", cfg, "src", srcAdmin)
	var sink *e2e.Proc
	b.Cleanup(func() {
		if b.Failed() {
			b.Logf("source log:\n%s", e2e.Tail(source.Log(), 20))
			if sink != nil {
				b.Logf("sink log:\n%s", e2e.Tail(sink.Log(), 20))
			}
		}
	})
	e2e.WaitFor(b, time.Minute, "the source to stream", func() bool { return strings.Contains(source.Log(), "streaming binlog") })
	conn, err := sdb.Conn(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	t0 := time.Now()
	changes := gen(b, func(q string) {
		for _, s := range strings.Split(q, "; ") {
			if _, err := conn.ExecContext(b.Context(), s); err != nil {
				b.Fatalf("%s: %v", s, err)
			}
		}
	})
	b.Logf("source: %d row changes written in %s", changes, time.Since(t0).Round(time.Millisecond))
	last := -1.0
	e2e.WaitFor(b, 10*time.Minute, "the source to publish the backlog", func() bool {
		time.Sleep(time.Second)
		n := e2e.MetricValue(e2e.HTTPGet(b, "http://"+srcAdmin+"/metrics"), "sluice_source_rows_published_total")
		done := n == last && n >= float64(changes)
		last = n
		return done
	})
	b.ResetTimer()
	start := time.Now()
	sink = e2e.StartConnector(b, "sink.log", cfg, "replica-1", sinkAdmin)
	e2e.WaitFor(b, 20*time.Minute, "the sink to apply the backlog", func() bool {
		time.Sleep(100 * time.Millisecond)
		return e2e.MetricValue(e2e.HTTPGet(b, "http://"+sinkAdmin+"/metrics"), "sluice_sink_rows_applied_total") >= float64(changes)
	})
	el := time.Since(start)
	b.StopTimer()
	e2e.WaitEqual(b, sdb, ddb, time.Minute, []*e2e.Proc{broker, source, sink}, "shop.t")
	m := e2e.HTTPGet(b, "http://"+sinkAdmin+"/metrics")
	commits, txs := e2e.MetricValue(m, "sluice_sink_commits_total"), e2e.MetricValue(m, "sluice_sink_transactions_total")
	b.ReportMetric(float64(changes)/el.Seconds(), "rows/s")
	b.ReportMetric(txs/el.Seconds(), "txs/s")
	for _, l := range strings.Split(sink.Log(), "\n") {
		if strings.Contains(l, "msg=") && os.Getenv("BACKLOG_SINK_LOG") != "" || strings.Contains(l, "msg=applying") {
			b.Logf("sink process started at %s; %s", start.UTC().Format("15:04:05.000"), l)
		}
	}
	b.Logf("MEASURE sink caught up %d row changes (%.0f source transactions, %.0f replica commits) in %s from process start: %.0f rows/s, %.0f transactions/s",
		changes, txs, commits, el.Round(time.Millisecond), float64(changes)/el.Seconds(), txs/el.Seconds())
	for _, p := range []*e2e.Proc{broker, source, sink} {
		if err := p.Stop(); err != nil {
			b.Fatal(err)
		}
	}
}
