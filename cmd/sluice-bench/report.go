package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

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
	parseRows     int64   // row changes go-mysql parsed in the binlog files
	parseRate     float64 // and its rows/s
	rssSrc        string
	rssSink       string
	rssBroker     string
	cpuNative     string // CPU seconds of the processes of each replay (cpu.go)
	cpuNativePar  string
	cpuSluice     string
	sinkPhases    string
	equal         []string // "native ok" etc.
	generateTime  time.Duration
	sluiceReadEnd time.Duration
	sluiceFirst   time.Duration
	sinkCommits   float64
	flushes       float64
	flushSecs     float64
	profiles      string
}

// allEqual is "yes" when every replica compared equal to the source, else
// "no" with the differences.
func allEqual(eq []string) string {
	var bad []string
	for _, e := range eq {
		if !strings.HasSuffix(e, " ok") {
			bad = append(bad, e)
		}
	}
	if len(bad) == 0 {
		return "yes"
	}
	return "no: " + strings.Join(bad, ", ")
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
	fmt.Printf("  %-36s %s\n", "sluice (broker, source, sink)", rate(r.sluice, r.rows))
	fmt.Printf("  %-36s %s\n", "ratio sluice/native", ratio(r.native))
	fmt.Printf("  %-36s %s\n", "ratio sluice/native parallel", ratio(r.nativePar))
	fmt.Printf("  %-36s %.0f rows/s (first row published after %s, all after %s)\n", "sluice reader rate (published)",
		r.readerRate, r.sluiceFirst.Round(time.Millisecond), r.sluiceReadEnd.Round(time.Millisecond))
	fmt.Printf("  %-36s %.0f rows/s (%d row changes in the binlog files); sluice's reader at %.0f%% of it\n",
		"go-mysql BinlogParser alone", r.parseRate, r.parseRows, 100*r.readerRate/r.parseRate)
	fmt.Printf("  %-36s %.0f rows/s (from the first row published)\n", "sluice sink rate (applied)", r.sinkRate)
	if r.sinkCommits > 0 && r.flushes > 0 {
		fmt.Printf("  %-36s %.0f (%.0f rows each)\n", "sluice sink replica commits", r.sinkCommits, float64(r.rows)/r.sinkCommits)
		fmt.Printf("  %-36s %s\n", "sluice sink time by phase", r.sinkPhases)
		fmt.Printf("  %-36s %.0f, %.2fs in total (%.1f ms each)\n", "sluice source produce rounds", r.flushes, r.flushSecs, 1000*r.flushSecs/r.flushes)
	}
	fmt.Printf("  %-36s source %s, sink %s (embedded broker %s)\n", "sluice peak RSS (VmHWM)", r.rssSrc, r.rssSink, r.rssBroker)
	fmt.Printf("  %-36s %s\n", "CPU, native 1 thread", r.cpuNative)
	fmt.Printf("  %-36s %s\n", "CPU, native 2 threads", r.cpuNativePar)
	fmt.Printf("  %-36s %s\n", "CPU, sluice", r.cpuSluice)
	fmt.Printf("  %-36s %s (%s)\n", "replicas equal to the source", allEqual(r.equal), strings.Join(r.equal, ", "))
	if r.profiles != "" {
		fmt.Printf("  profiles, taken from the first row published on:%s", r.profiles)
	}
}

// printSummary prints one line per workload.
func printSummary(rs []*result) {
	if len(rs) == 0 {
		return
	}
	fmt.Println("(times: until the replica holds the source's last transaction; sluice: process start to last row applied,")
	fmt.Println(" broker and connections included, startup: to the first row published; reader and sink rates: row changes/s from the first row published;")
	fmt.Println(" parse: go-mysql's BinlogParser alone on the same binlog files; rd%: reader rate / parse rate;")
	fmt.Println(" RSS: peak (VmHWM) of the sluice source / sink process; equal: checksums of every table, all replicas)")
	fmt.Printf("%-9s %9s %8s %9s %9s %9s %8s %7s %7s %10s %10s %5s %10s %11s %s\n",
		"workload", "rows", "txs", "native", "nat-par", "sluice", "startup", "s/nat", "s/par", "reader r/s", "parse r/s", "rd%", "sink r/s", "RSS src/snk", "equal")
	for _, r := range rs {
		fmt.Printf("%-9s %9d %8d %9s %9s %9s %8s %6.2fx %6.2fx %10.0f %10.0f %4.0f%% %10.0f %11s %s\n",
			r.name, r.rows, r.txs, secs(r.native), secs(r.nativePar), secs(r.sluice), secs(r.sluiceFirst),
			r.sluice.Seconds()/r.native.Seconds(), r.sluice.Seconds()/r.nativePar.Seconds(),
			r.readerRate, r.parseRate, 100*r.readerRate/r.parseRate, r.sinkRate, r.rssSrc+"/"+r.rssSink, allEqual(r.equal))
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func rate(d time.Duration, rows int64) string {
	return fmt.Sprintf("%8.2fs  %8.0f rows/s", d.Seconds(), float64(rows)/d.Seconds())
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// String is "p50 X p99 Y max Z (N heartbeats)", or "not measured".
func (s lagStats) String() string {
	if s.n == 0 {
		return "not measured"
	}
	return fmt.Sprintf("p50 %s  p99 %s  max %s  (%d heartbeats)", ms(s.p50), ms(s.p99), ms(s.max), s.n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// printLag prints the lag workload's results.
func printLag(r *lagResult) {
	fmt.Printf("workload lag: %.0f transactions/s achieved (single-row, 8 clients) plus the heartbeat every 100 ms\n", r.rate)
	fmt.Printf("  %-36s %s\n", "end-to-end lag, sluice", r.sluice)
	fmt.Printf("  %-36s %s\n", "end-to-end lag, native 1 thread", r.native)
	fmt.Printf("  %-36s %s\n", "source commit of the heartbeat", r.hbCommit)
	if r.outage > 0 {
		cr := r.catchRows / r.catchUp.Seconds()
		fmt.Printf("  %-36s %s; source at %.0f rows/s; catch-up %s (sink start included) at %.0f rows/s = %.2fx the source's rate\n",
			"sink outage", r.outage, r.srcRowRate, r.catchUp.Round(time.Millisecond), cr, cr/r.srcRowRate)
	}
	fmt.Printf("  %-36s source %s, sink %s\n", "sluice peak RSS (VmHWM)", r.rssSrc, r.rssSink)
	fmt.Printf("  %-36s %s (%v)\n", "replicas equal to the source", allEqual(r.equal), r.equal)
}

// printLagSummary prints the lag workload's summary lines.
func printLagSummary(r *lagResult) {
	fmt.Printf("\nlag at %.0f tx/s:  sluice %s;  native 1 thread %s;  equal %s\n", r.rate, r.sluice, r.native, allEqual(r.equal))
	fmt.Printf("(of which the source's commit of the heartbeat: %s)\n", r.hbCommit)
	if r.outage > 0 {
		cr := r.catchRows / r.catchUp.Seconds()
		fmt.Printf("sink outage %s:   catch-up %s at %.0f rows/s = %.2fx the source's %.0f rows/s\n",
			r.outage, r.catchUp.Round(time.Millisecond), cr, cr/r.srcRowRate, r.srcRowRate)
	}
}

// writeSamples writes every heartbeat sample as TSV: replica, the
// heartbeat's source time (Unix seconds), its lag in milliseconds.
func writeSamples(path string, lags [2][]lagSample) error {
	var b strings.Builder
	b.WriteString("replica\theartbeat\tlag_ms\n")
	for i, l := range lags {
		for _, x := range l {
			fmt.Fprintf(&b, "%s\t%.6f\t%.1f\n", []string{"sluice", "native"}[i], float64(x.at.UnixMicro())/1e6, float64(x.lag)/float64(time.Millisecond))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
