// Command sluice-bench compares sluice with MariaDB's own replication on the
// same machine, the same data and the same binlog (`make bench`).
//
// For each workload it starts a fresh source MariaDB (binlog ROW), pins a
// sluice pipeline (snapshot: never) at the source's position before any
// write, generates the workload, and then replays the recorded binlog three
// times into fresh replicas with identical settings: MariaDB replication with
// one SQL thread, MariaDB replication with slave_parallel_threads=2 in
// optimistic mode, and sluice (broker, source and sink as three processes).
// Each replay is timed until the replica is fully caught up, and every
// replica is compared with the source, table by table, by a checksum of
// the ordered rows. go-mysql's BinlogParser alone parses the same binlog
// files, the ceiling of sluice's reader (parse.go).
//
// The "lag" workload (lag.go) instead runs a steady load at a fixed rate
// against a source with a sluice replica and a native replica following
// live, and measures the end-to-end lag of each from a heartbeat row; then
// it stops the sink for a while under the same load and measures how fast
// it catches up. -profile DIR takes CPU and heap profiles of the sluice
// processes through /debug/pprof (profile.go).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// config holds the command-line settings.
type config struct {
	sluiceBin     string
	workloads     string
	insertRows    int
	singleTxs     int
	updateRows    int
	updateTxs     int
	wideRows      int
	wideUpdates   int
	clients       int
	sysbenchTime  time.Duration
	sysbenchSize  int
	sysbenchTabs  int
	lagRate       int
	lagDuration   time.Duration
	lagNative     bool
	lagSamples    string
	outage        time.Duration
	profileDir    string
	profileSecs   time.Duration
	profileWl     string
	bufferPool    string
	syncWrites    bool
	sinkWorkers   int
	compression   string
	keep          bool
	dir           string
	replayTimeout time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.sluiceBin, "sluice", "bin/sluice", "sluice binary to run (a plain, non-race build)")
	flag.StringVar(&c.workloads, "workloads", "insert,single,update,wide,sysbench,lag", "comma-separated workloads to run: insert, single, update, wide, sysbench, lag")
	flag.IntVar(&c.insertRows, "insert-rows", 200_000, "rows of the insert burst, in 1,000-row transactions (1000000 for the sizes in docs/benchmarks.md)")
	flag.IntVar(&c.singleTxs, "single-txs", 20_000, "single-row INSERT transactions")
	flag.IntVar(&c.updateRows, "update-rows", 20_000, "rows of the 20-column table before the update mix")
	flag.IntVar(&c.updateTxs, "update-txs", 20_000, "transactions of the update-heavy mix")
	flag.IntVar(&c.wideRows, "wide-rows", 2_000, "rows of 4-64 KiB (JSON + TEXT) of the wide workload, in 10-row transactions")
	flag.IntVar(&c.wideUpdates, "wide-updates", 1_000, "one-row UPDATEs of the wide rows after they are loaded")
	flag.IntVar(&c.clients, "clients", 2, "concurrent client connections of the single-row, update and wide workloads")
	flag.DurationVar(&c.sysbenchTime, "sysbench-time", 30*time.Second, "duration of sysbench oltp_write_only run")
	flag.IntVar(&c.sysbenchSize, "sysbench-table-size", 10_000, "rows per sysbench table (prepare)")
	flag.IntVar(&c.sysbenchTabs, "sysbench-tables", 4, "sysbench tables")
	flag.IntVar(&c.lagRate, "lag-rate", 1000, "lag workload: source transactions per second of the steady load")
	flag.DurationVar(&c.lagDuration, "lag-duration", 30*time.Second, "lag workload: how long lag is measured")
	flag.BoolVar(&c.lagNative, "lag-native", true, "lag workload: also measure a native replica (1 SQL thread) following live, at the same time")
	flag.StringVar(&c.lagSamples, "lag-samples", "", "lag workload: write every heartbeat's lag to this file (TSV: replica, heartbeat time, lag ms)")
	flag.DurationVar(&c.outage, "outage", 30*time.Second, "lag workload: how long the sink is stopped under the steady load afterwards (0: no outage; 5m for the sizes in docs/benchmarks.md)")
	flag.StringVar(&c.profileDir, "profile", "", "directory for CPU and heap profiles of the sluice source and sink (sluice run --pprof), taken while the workloads of -profile-workloads replay; prints the top 15 functions of each")
	flag.DurationVar(&c.profileSecs, "profile-seconds", 20*time.Second, "length of each CPU profile")
	flag.StringVar(&c.profileWl, "profile-workloads", "insert", "comma-separated workloads profiled with -profile")
	flag.StringVar(&c.compression, "compression", "lz4", "kafka.compression of the sluice pipelines (none, gzip, snappy, lz4, zstd)")
	flag.IntVar(&c.sinkWorkers, "sink-workers", 1, "workers of the sluice sink (replica connections applying one batch at once)")
	flag.BoolVar(&c.syncWrites, "sync-writes", true, "kafka.embedded.sync_writes of the sluice pipelines (false: the broker acknowledges without fsync, to measure what the fsync costs)")
	flag.StringVar(&c.bufferPool, "buffer-pool", "256M", "innodb_buffer_pool_size of every server")
	flag.BoolVar(&c.keep, "keep", false, "keep the servers' and sluice's directories")
	flag.StringVar(&c.dir, "dir", "", "working directory (default: a new temporary directory)")
	flag.DurationVar(&c.replayTimeout, "replay-timeout", 30*time.Minute, "longest wait for one replay to catch up")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	bin, err := filepath.Abs(c.sluiceBin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("sluice binary: %w (run `make build` first)", err)
	}
	c.sluiceBin = bin
	if c.profileDir != "" {
		if c.profileDir, err = filepath.Abs(c.profileDir); err != nil {
			return err
		}
	}
	if c.lagRate <= 0 {
		return fmt.Errorf("-lag-rate %d: want transactions per second > 0", c.lagRate)
	}
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "sluice-bench-"); err != nil {
			return err
		}
	}
	if !c.keep {
		defer os.RemoveAll(c.dir)
	}
	fmt.Printf("sluice-bench: %d CPUs (GOMAXPROCS %d), %s, work dir %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), c.dir)
	var results []*result
	var lags []*lagResult
	for _, w := range strings.Split(c.workloads, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if w == "lag" {
			fmt.Printf("\n=== workload lag: %d transactions/s for %s (a heartbeat row updated with NOW(6) every 100 ms), then the sink stopped for %s under the same load\n",
				c.lagRate, c.lagDuration, c.outage)
			l, err := runLag(c)
			if err != nil {
				return fmt.Errorf("workload lag: %w", err)
			}
			printLag(l)
			lags = append(lags, l)
			continue
		}
		wl, ok := workloads(c)[w]
		if !ok {
			return fmt.Errorf("unknown workload %q (want insert, single, update, wide, sysbench or lag)", w)
		}
		if w == "sysbench" {
			if _, err := exec.LookPath("sysbench"); err != nil {
				fmt.Println("NOTE: sysbench is not installed (apt-get install sysbench): skipping the sysbench oltp_write_only workload")
				continue
			}
		}
		fmt.Printf("\n=== workload %s: %s\n", w, wl.describe)
		r, err := runWorkload(c, w, wl)
		if err != nil {
			return fmt.Errorf("workload %s: %w", w, err)
		}
		printResult(r)
		results = append(results, r)
	}
	fmt.Println("\n=== summary")
	printSummary(results)
	for _, l := range lags {
		printLagSummary(l)
	}
	return nil
}

// memTotal returns MemTotal from /proc/meminfo.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			return "MemTotal " + strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:"))
		}
	}
	return "memory unknown"
}

// profiled reports whether workload name is one of -profile-workloads.
func (c config) profiled(name string) bool {
	if c.profileDir == "" {
		return false
	}
	for _, w := range strings.Split(c.profileWl, ",") {
		if strings.TrimSpace(w) == name {
			return true
		}
	}
	return false
}
