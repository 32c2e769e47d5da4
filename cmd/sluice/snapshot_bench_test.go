package main

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// BenchmarkSnapshot measures, on a table of SNAPSHOT_BENCH_ROWS rows
// (default 1M): the initial snapshot's rows/s; the source's streaming rate
// alone; an incremental snapshot's rows/s on an idle source; and both at
// once, which is the watermark scheme's cost on streaming (all but the
// first with SNAPSHOT_BENCH_INITIAL_ONLY set). Run it with
// `make bench-snapshot` (a plain build; not part of CI).
func BenchmarkSnapshot(b *testing.B) {
	rows := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("SNAPSHOT_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	src := mariadbtest.Start(b, mariadbtest.Options{ExtraArgs: []string{"--innodb-buffer-pool-size=512M"}})
	dst := mariadbtest.Start(b, mariadbtest.Options{ExtraArgs: []string{"--innodb-buffer-pool-size=512M"}})
	sdb, ddb := src.DB(b), dst.DB(b)
	e2e.ExecAll(b, sdb, "CREATE DATABASE shop;\n"+
		"CREATE TABLE shop.big (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL, price DECIMAL(12,2) NOT NULL, created DATETIME NOT NULL);\n"+
		"CREATE TABLE shop.w (id INT PRIMARY KEY, v INT NOT NULL)")
	e2e.MustExec(b, sdb, fmt.Sprintf("INSERT INTO shop.big SELECT seq, CONCAT('item ', seq), seq %% 17, seq / 100, '2025-01-01 00:00:00' FROM shop.seq_1_to_%d", rows))
	cfg, adminAddr := e2e.WriteConfig(b, b.TempDir(), src, dst, false)
	e2e.EditConfig(b, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 5000\n")
	e2e.EditConfig(b, cfg, "    batch_rows: 500\n", "    batch_rows: 5000\n")
	for b.Loop() {
		start := time.Now()
		p := e2e.StartProc(b, "sluice.log", "run", "--config", cfg)
		e2e.WaitLog(b, p, 30*time.Minute, 1, `msg="snapshot done"`)
		snapRate := e2e.LogInts(p.Log(), "rows_per_s", `msg="snapshot done"`)
		e2e.WaitRowCount(b, ddb, "shop.big", rows, 30*time.Minute, p)
		b.Logf("MEASURE initial snapshot: %d rows, source %v rows/s; on the replica after %s", rows, snapRate, time.Since(start).Round(time.Millisecond))
		if os.Getenv("SNAPSHOT_BENCH_INITIAL_ONLY") != "" {
			waitChecksum(b, sdb, ddb, "shop.big", 10*time.Minute)
			b.Logf("replica equal to the source (CHECKSUM TABLE)")
			if err := p.Stop(); err != nil {
				b.Fatal(err)
			}
			continue
		}

		base := streamRate(b, sdb, adminAddr, 0, 20000)
		b.Logf("MEASURE streaming alone: 20000 transactions, source published them at %.0f tx/s", base)

		requestSnapshot(b, cfg)
		e2e.WaitLog(b, p, 30*time.Minute, 1, "incremental snapshot table done", "table=shop.big")
		inc := e2e.LogInts(p.Log(), "rows_per_s", "incremental snapshot table done", "table=shop.big")
		b.Logf("MEASURE incremental snapshot, idle source: %d rows, %v rows/s", rows, inc)

		requestSnapshot(b, cfg)
		during := streamRate(b, sdb, adminAddr, 20000, 20000)
		e2e.WaitLog(b, p, 30*time.Minute, 2, "incremental snapshot table done", "table=shop.big")
		inc = e2e.LogInts(p.Log(), "rows_per_s", "incremental snapshot table done", "table=shop.big")
		b.Logf("MEASURE incremental snapshot under writes: %v rows/s; streaming meanwhile %.0f tx/s (alone %.0f tx/s)", inc[len(inc)-1:], during, base)
		for _, tb := range []string{"shop.big", "shop.w"} {
			waitChecksum(b, sdb, ddb, tb, 10*time.Minute)
		}
		b.Logf("replica equal to the source (CHECKSUM TABLE) after %s", time.Since(start).Round(time.Millisecond))
		if err := p.Stop(); err != nil {
			b.Fatal(err)
		}
	}
}

// streamRate writes n single-row transactions into shop.w (ids from) with
// 4 writers and returns the rate at which the source published them:
// n over the time from the first write until the source's published
// counter for shop.w reached them all.
func streamRate(b *testing.B, db *sql.DB, adminAddr string, from, n int) float64 {
	b.Helper()
	before := publishedRows(b, adminAddr, "shop.w")
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := from + w; i < from+n; i += 4 {
				if _, err := db.Exec("INSERT INTO shop.w VALUES (?, ?)", i, i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for publishedRows(b, adminAddr, "shop.w") < before+n {
		if time.Since(start) > 10*time.Minute {
			b.Fatal("the source did not publish the writes in 10 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return float64(n) / time.Since(start).Seconds()
}

var publishedRe = regexp.MustCompile(`sluice_source_rows_published_total\{[^}]*table="([^"]+)"[^}]*\} (\S+)`)

// publishedRows sums the source's published rows of table from /metrics.
func publishedRows(b *testing.B, adminAddr, table string) int {
	var total float64
	for _, m := range publishedRe.FindAllStringSubmatch(e2e.HTTPGet(b, "http://"+adminAddr+"/metrics"), -1) {
		if m[1] == table {
			v, _ := strconv.ParseFloat(m[2], 64)
			total += v
		}
	}
	return int(total)
}

func requestSnapshot(b *testing.B, cfg string) {
	if code, out := e2e.Run(b, "snapshot", "--config", cfg, "--table", "shop.big"); code != 0 {
		b.Fatalf("sluice snapshot: exit %d\n%s", code, out)
	}
}

// waitChecksum waits until CHECKSUM TABLE agrees on both servers (the
// replica's table is created from the source's definition).
func waitChecksum(b *testing.B, src, dst *sql.DB, table string, timeout time.Duration) {
	var name string
	var a, c sql.NullInt64
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := src.QueryRow("CHECKSUM TABLE "+table).Scan(&name, &a); err != nil {
			b.Fatal(err)
		}
		if err := dst.QueryRow("CHECKSUM TABLE "+table).Scan(&name, &c); err != nil {
			b.Fatal(err)
		}
		if a == c {
			return
		}
		time.Sleep(time.Second)
	}
	b.Fatalf("%s: checksums differ after %s", table, timeout)
}
