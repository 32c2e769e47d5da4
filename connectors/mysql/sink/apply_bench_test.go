package sink

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// BenchmarkSinkApply measures the sink's apply rate on a real MariaDB:
// replica commits of five 1,000-row insert transactions of the insert
// burst table (rows already decoded; decoding is BenchmarkSinkDecodeRow),
// with arguments interpolated by the driver (the default) and with
// server-side prepared statements (interpolateParams=false):
//
//	go test ./connectors/mysql/ -run '^$' -bench SinkApply -benchtime 20x
func BenchmarkSinkApply(b *testing.B) {
	srv := mariadbtest.Start(b, mariadbtest.Options{ExtraArgs: []string{"--innodb-buffer-pool-size=256M"}})
	for _, mode := range []struct{ name, dsn string }{
		{"interpolate", "root@tcp(" + srv.Addr() + ")/"},
		{"prepared", "root@tcp(" + srv.Addr() + ")/?interpolateParams=false"},
	} {
		b.Run(mode.name, func(b *testing.B) {
			s, def := benchSink(b, mode.dsn, "burst_"+mode.name)
			ctx := context.Background()
			const perTx, txs = 1000, 5
			var sinkCPU, srvCPU time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bt := &batch{offsets: map[kafka.TopicPartition]int64{}}
				for t := 0; t < txs; t++ {
					n := (i*txs + t) * perTx
					m := &event.TxMarker{ID: "t", Status: "END", Seq: event.MakeSeq(1, uint64(n+1), 0),
						DataCollections: []event.DataCollection{{DataCollection: def.Name(), EventCount: perTx}}}
					bt.txs = append(bt.txs, txRows{marker: m, changes: burstChanges(b, def, n, perTx, perTx, event.OpCreate)})
					bt.rows, bt.applied, bt.txNext = bt.rows+perTx, m.Seq, int64(i*txs+t+1)
				}
				sink0, srv0 := cpuSelf(), cpuOf(b, srv)
				b.StartTimer()
				if err := s.applier.apply(ctx, bt); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				sinkCPU, srvCPU = sinkCPU+cpuSelf()-sink0, srvCPU+cpuOf(b, srv)-srv0
			}
			rows := float64(b.N * perTx * txs)
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
			// CPU per row says more than wall time on a busy machine.
			b.ReportMetric(float64(sinkCPU.Microseconds())/rows, "sink-cpu-us/row")
			b.ReportMetric(float64(srvCPU.Microseconds())/rows, "server-cpu-us/row")
		})
	}
}

// benchSink is a Sink on the replica at dsn, its checkpoint table made,
// knowing one table (created) of the insert burst's definition.
func benchSink(b *testing.B, dsn, table string) (*Sink, *event.TableDef) {
	yes := true
	cfg := &Config{Connector: &config.Connector{Name: "bench"}, Source: "src", CheckpointDB: "sluice", BatchRows: 5000, BatchBytes: 16 << 20, CreateTables: &yes}
	cfg.Spec = cfg
	env := connector.Env{Config: &config.Config{Name: "bench"}, Metrics: metrics.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c, err := New(cfg.Connector, env)
	if err != nil {
		b.Fatal(err)
	}
	s := c.(*Sink)
	ctx := context.Background()
	if s.db, _, err = dbconn.Open(ctx, dbconn.WithSinkParams(dsn), 4); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.db.Close() })
	if err := s.offsets.load(ctx, s.db); err != nil {
		b.Fatal(err)
	}
	def := burstDef()
	def.Table = table
	for _, q := range []string{"CREATE DATABASE IF NOT EXISTS bench", "DROP TABLE IF EXISTS bench." + table, "CREATE TABLE bench." + table + ` (id BIGINT PRIMARY KEY, k INT NOT NULL,
		label VARCHAR(64) NOT NULL, price DECIMAL(12,2) NOT NULL, created DATETIME NOT NULL, note VARCHAR(255) NOT NULL)`} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	s.schema.tables[def.Name()] = []schemaVersion{{def: def}}
	s.ddl.created[def.Name()] = true
	s.schema.read = time.Now().Add(24 * time.Hour) // no schema topic here
	return s, def
}

// cpuSelf is the CPU time this process used so far.
func cpuSelf() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuOf is the CPU time srv's mariadbd used so far (/proc/PID/stat,
// utime and stime in clock ticks of 10 ms).
func cpuOf(b *testing.B, srv *mariadbtest.Server) time.Duration {
	pid, err := os.ReadFile(filepath.Join(srv.Dir, "mariadbd.pid"))
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}
