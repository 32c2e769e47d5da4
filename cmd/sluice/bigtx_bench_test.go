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

// BenchmarkBigTransaction replicates one source transaction of
// BIGTX_ROWS rows (default 1,000,000; about 100 bytes each, plus
// BIGTX_PAD bytes in a TEXT column: BIGTX_ROWS=100000 BIGTX_PAD=5000 is a
// 500 MB transaction) with the
// broker, the source and the sink in separate processes, and reports the
// peak resident memory (VmHWM) of each, the time to the replica, and
// whether the replica ever showed part of the transaction. Run it with
// `make bench-bigtx` (a plain build; not part of CI).
func BenchmarkBigTransaction(b *testing.B) {
	rows := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("BIGTX_ROWS")); err == nil && n > 0 {
		rows = n
	}
	pad, _ := strconv.Atoi(os.Getenv("BIGTX_PAD"))
	opts := mariadbtest.Options{ExtraArgs: []string{"--innodb-buffer-pool-size=512M", "--innodb-log-file-size=256M"}}
	src, dst := mariadbtest.Start(b, opts), mariadbtest.Start(b, opts)
	sdb, ddb := src.DB(b), dst.DB(b)
	e2e.ExecAll(b, sdb, "CREATE DATABASE shop;\n"+
		"CREATE TABLE shop.big (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL, price DECIMAL(12,2) NOT NULL, created DATETIME NOT NULL, pad TEXT NOT NULL)")
	e2e.MustExec(b, sdb, "INSERT INTO shop.big VALUES (0, 'first', 0, 0, '2025-01-01 00:00:00', '')")
	cfg, _ := e2e.WriteConfig(b, b.TempDir(), src, dst, true)
	e2e.EditConfig(b, cfg, "    batch_rows: 500\n", "    batch_rows: 5000\n")
	e2e.EditConfig(b, cfg, "  partitions: 3\n", "  partitions: 3\n  max_message_bytes: 16777216\n")
	for b.Loop() {
		broker := e2e.StartBroker(b, cfg)
		srcP := e2e.StartConnector(b, "src.log", cfg, "src", e2e.FreeAddr(b))
		sinkP := e2e.StartConnector(b, "sink.log", cfg, "replica-1", e2e.FreeAddr(b))
		procs := []*e2e.Proc{broker, srcP, sinkP}
		e2e.WaitEqual(b, sdb, ddb, 2*time.Minute, procs, "shop.big")

		start := time.Now()
		e2e.MustExec(b, sdb, fmt.Sprintf("INSERT INTO shop.big SELECT seq, CONCAT('item ', seq), seq %% 17, seq / 100, '2025-01-01 00:00:00', REPEAT('x', %d) FROM shop.seq_1_to_%d", pad, rows))
		b.Logf("source transaction of %d rows committed in %s", rows, time.Since(start).Round(time.Millisecond))
		partial := 0
		for n := 1; n != rows+1; {
			if time.Since(start) > 30*time.Minute {
				b.Fatalf("replica has %d of %d rows after 30m", n, rows+1)
			}
			time.Sleep(200 * time.Millisecond)
			if err := ddb.QueryRow("SELECT COUNT(*) FROM shop.big").Scan(&n); err != nil {
				b.Fatal(err)
			}
			if n != 1 && n != rows+1 {
				partial = n
			}
		}
		el := time.Since(start)
		b.Logf("MEASURE one transaction of %d rows of %d padding bytes on the replica after %s (%.0f rows/s); replica showed part of it: %v (%d rows)",
			rows, pad, el.Round(time.Millisecond), float64(rows)/el.Seconds(), partial != 0, partial)
		for _, p := range procs {
			b.Logf("MEASURE peak RSS (VmHWM) of sluice %s: %s", p.Args()[0]+" "+strings.Join(p.Args()[3:], " "), vmHWM(b, p))
		}
		for _, p := range procs {
			if err := p.Stop(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// vmHWM returns the peak resident set size of a running process, from
// /proc/<pid>/status.
func vmHWM(b *testing.B, p *e2e.Proc) string {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(s), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}
