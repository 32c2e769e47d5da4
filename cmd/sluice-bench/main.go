// Command sluice-bench compares sluice with MariaDB's own replication on the
// same machine, the same data and the same binlog (`make bench`).
//
// For each workload it starts a fresh source MariaDB (binlog ROW), pins a
// sluice pipeline (snapshot: never) at the source's position before any
// write, generates the workload, and then replays the recorded binlog three
// times into fresh replicas with identical settings: MariaDB replication with
// one SQL thread, MariaDB replication with slave_parallel_threads=2 in
// optimistic mode, and sluice (embedded broker, one process). Each replay is
// timed until the replica is fully caught up, and every replica is compared
// with the source, table by table, as ordered row dumps.
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
	clients       int
	sysbenchTime  time.Duration
	sysbenchSize  int
	sysbenchTabs  int
	bufferPool    string
	keep          bool
	dir           string
	replayTimeout time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.sluiceBin, "sluice", "bin/sluice", "sluice binary to run (a plain, non-race build)")
	flag.StringVar(&c.workloads, "workloads", "insert,single,update,sysbench", "comma-separated workloads to run: insert, single, update, sysbench")
	flag.IntVar(&c.insertRows, "insert-rows", 200_000, "rows of the insert burst, in 1,000-row transactions (1000000 for the issue's size)")
	flag.IntVar(&c.singleTxs, "single-txs", 20_000, "single-row INSERT transactions")
	flag.IntVar(&c.updateRows, "update-rows", 20_000, "rows of the 20-column table before the update mix")
	flag.IntVar(&c.updateTxs, "update-txs", 20_000, "transactions of the update-heavy mix")
	flag.IntVar(&c.clients, "clients", 2, "concurrent client connections of the single-row and update workloads")
	flag.DurationVar(&c.sysbenchTime, "sysbench-time", 30*time.Second, "duration of sysbench oltp_write_only run")
	flag.IntVar(&c.sysbenchSize, "sysbench-table-size", 10_000, "rows per sysbench table (prepare)")
	flag.IntVar(&c.sysbenchTabs, "sysbench-tables", 4, "sysbench tables")
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

// result is the measurement of one workload.
type result struct {
	name          string
	rows          int64
	txs           int64
	binlogBytes   int64
	native        time.Duration
	nativePar     time.Duration
	sluice        time.Duration
	readerRate    float64
	sinkRate      float64
	peakRSS       string
	equal         []string // "native: ok" etc.
	note          string
	generateTime  time.Duration
	sluiceReadEnd time.Duration
	sluiceFirst   time.Duration
	sinkCommits   float64
	flushes       float64
	flushSecs     float64
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
	for _, w := range strings.Split(c.workloads, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		wl, ok := workloads(c)[w]
		if !ok {
			return fmt.Errorf("unknown workload %q", w)
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

// printResult prints the table of one workload.
func printResult(r *result) {
	ratio := func(d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", r.sluice.Seconds()/d.Seconds())
	}
	fmt.Printf("workload %s: %d row changes in %d transactions, %s of binlog (generated in %s)\n",
		r.name, r.rows, r.txs, mib(r.binlogBytes), r.generateTime.Round(time.Millisecond))
	fmt.Printf("  %-36s %s\n", "native, 1 SQL thread", rate(r.native, r.rows))
	fmt.Printf("  %-36s %s\n", "native, 2 threads optimistic", rate(r.nativePar, r.rows))
	fmt.Printf("  %-36s %s\n", "sluice (embedded broker)", rate(r.sluice, r.rows))
	fmt.Printf("  %-36s %s\n", "ratio sluice/native", ratio(r.native))
	fmt.Printf("  %-36s %s\n", "ratio sluice/native parallel", ratio(r.nativePar))
	fmt.Printf("  %-36s %.0f rows/s (first row published after %s, all after %s)\n", "sluice reader rate (published)",
		r.readerRate, r.sluiceFirst.Round(time.Millisecond), r.sluiceReadEnd.Round(time.Millisecond))
	fmt.Printf("  %-36s %.0f rows/s (from the first row published)\n", "sluice sink rate (applied)", r.sinkRate)
	if r.sinkCommits > 0 && r.flushes > 0 {
		fmt.Printf("  %-36s %.0f (%.0f rows each)\n", "sluice sink replica commits", r.sinkCommits, float64(r.rows)/r.sinkCommits)
		fmt.Printf("  %-36s %.0f, %.2fs in total (%.1f ms each)\n", "sluice source produce rounds", r.flushes, r.flushSecs, 1000*r.flushSecs/r.flushes)
	}
	fmt.Printf("  %-36s %s\n", "sluice peak RSS (VmHWM)", r.peakRSS)
	fmt.Printf("  %-36s %s\n", "replicas equal to the source", strings.Join(r.equal, ", "))
	if r.note != "" {
		fmt.Printf("  note: %s\n", r.note)
	}
}

// printSummary prints one line per workload.
func printSummary(rs []*result) {
	fmt.Println("(sluice: process start to last row applied; startup: to its first row published;")
	fmt.Println(" reader and sink rates: rows/s from the first row published; peak RSS: VmHWM)")
	fmt.Printf("%-9s %9s %7s %10s %10s %10s %8s %8s %8s %11s %11s %10s %s\n",
		"workload", "rows", "txs", "native", "native-par", "sluice", "startup", "s/nat", "s/par", "reader r/s", "sink r/s", "peak RSS", "equal")
	for _, r := range rs {
		fmt.Printf("%-9s %9d %7d %10s %10s %10s %8s %7.2fx %7.2fx %11.0f %11.0f %10s %s\n",
			r.name, r.rows, r.txs, secs(r.native), secs(r.nativePar), secs(r.sluice), secs(r.sluiceFirst),
			r.sluice.Seconds()/r.native.Seconds(), r.sluice.Seconds()/r.nativePar.Seconds(),
			r.readerRate, r.sinkRate, r.peakRSS, strings.Join(r.equal, ","))
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func rate(d time.Duration, rows int64) string {
	return fmt.Sprintf("%8.2fs  %8.0f rows/s", d.Seconds(), float64(rows)/d.Seconds())
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
