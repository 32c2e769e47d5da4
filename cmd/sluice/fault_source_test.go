package main

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
	"github.com/sluice-cdc/sluice/pkg/testutil/tcpproxy"
)

// TestSourceFaults: the source's connection goes through a TCP proxy. The
// proxy cuts it while a large multi-statement transaction is being
// streamed (the proxy slows the binlog down so the cut lands inside it:
// the source has read at least 5000 of its 20,000 rows, not all),
// then the source MariaDB is killed and restarted under a workload. Each
// time the reader must resume from the transaction's start: a checker polls
// the replica throughout and fails on any tx id with a partial row count;
// the replica ends equal and sluice_source_reconnects_total counts the
// broken binlog connections.
func TestSourceFaults(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.TxRowsSchema)
	px, err := tcpproxy.Start(src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Close)

	cfg, admin := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.PointSource(t, cfg, src.Addr(), px.Addr())
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	procs := []*e2e.Proc{p}
	e2e.WaitHTTP(t, "http://"+admin+"/readyz", 60*time.Second)

	chk := e2e.WatchPartial(t, ddb, "shop.txrows")
	// 1. A cut in the middle of a streamed 20,000-row transaction, alone
	// in the binlog so that the rows the source has read are its rows.
	_, before := e2e.MasterStatus(t, sdb)
	const bigRows = 20000
	tx, err := sdb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 40; s++ { // 40 statements of 500 rows
		var b strings.Builder
		b.WriteString("INSERT INTO shop.txrows VALUES ")
		for i := 0; i < 500; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(-1, %d, %d, '%s')", s*500+i, bigRows, strings.Repeat("x", 100))
		}
		e2e.MustExec(t, tx, b.String())
	}
	px.SetRate(400 << 10) // about 7 s for the transaction's ~2.7 MB of binlog
	sent := px.BytesDown()
	read0 := e2e.MetricValue(e2e.HTTPGet(t, "http://"+admin+"/metrics"), "sluice_source_rows_read_total")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	_, end := e2e.MasterStatus(t, sdb)
	size := end - before
	var read float64
	e2e.WaitFor(t, 30*time.Second, "the source to read 5000 rows of the large transaction", func() bool {
		read = e2e.MetricValue(e2e.HTTPGet(t, "http://"+admin+"/metrics"), "sluice_source_rows_read_total") - read0
		return read >= 5000
	})
	var onReplica int
	_ = ddb.QueryRow("SELECT COUNT(*) FROM shop.txrows WHERE tx = -1").Scan(&onReplica)
	cut := time.Now()
	n := px.Cut(2 * time.Second)
	px.SetRate(0)
	t.Logf("cut %d connections after %d of the transaction's %d binlog bytes (%d of its rows on the replica)",
		n, px.BytesDown()-sent, size, onReplica)
	if onReplica != 0 || read >= bigRows {
		t.Fatalf("cut too late: %v of the transaction's rows read, %d applied", read, onReplica)
	}
	t.Logf("the source had read %v of the transaction's %d rows", read, bigRows)
	wl := e2e.StartTxWorkload(t, sdb, 1, 20, 5*time.Millisecond)
	e2e.WaitFor(t, 90*time.Second, "the large transaction on the replica", func() bool {
		var c int
		_ = ddb.QueryRow("SELECT COUNT(*) FROM shop.txrows WHERE tx = -1").Scan(&c)
		return c == bigRows
	})
	cutRecovery := time.Since(cut)
	t.Logf("MEASURE source-cut: recovered (large transaction applied) %s after the cut", cutRecovery.Round(time.Millisecond))

	// 2. The source server killed and restarted under the workload, while
	// the reader streams.
	e2e.WaitHTTP(t, "http://"+admin+"/readyz", 60*time.Second)
	time.Sleep(time.Second)
	if err := src.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	time.Sleep(2 * time.Second)
	if err := src.Restart(); err != nil {
		t.Fatal(err)
	}
	before2 := wl.Committed()
	e2e.WaitFor(t, 90*time.Second, "new transactions on the replica after the restart", func() bool {
		var m sql.NullInt64
		_ = ddb.QueryRow("SELECT MAX(tx) FROM shop.txrows").Scan(&m)
		return m.Int64 > int64(before2)
	})
	restartRecovery := time.Since(killed)
	t.Logf("MEASURE source-restart: replica advancing again %s after the kill (server down 2 s)", restartRecovery.Round(time.Millisecond))

	txs := wl.Stop()
	e2e.WaitEqual(t, sdb, ddb, 90*time.Second, procs, "shop.txrows")
	checks, bad := chk.Stop()
	t.Logf("workload committed %d transactions; %d replica checks", txs, checks)
	if bad != "" {
		t.Errorf("a partial transaction was visible on the replica: %s", bad)
	}
	defer func() {
		result, rows := e2e.Result(t), e2e.TableCount(t, ddb, "shop.txrows")
		e2e.SoakRow(t, "source connection cut mid-transaction", 1, rows, cutRecovery.Round(10*time.Millisecond).String(), result)
		e2e.SoakRow(t, "source MariaDB killed and restarted", 1, rows, restartRecovery.Round(10*time.Millisecond).String()+" (2 s down)", result)
	}()
	m := e2e.HTTPGet(t, "http://"+admin+"/metrics")
	if r := e2e.MetricValue(m, "sluice_source_reconnects_total"); r < 2 {
		t.Errorf("sluice_source_reconnects_total = %v, want at least 2 (one cut, one restart); log:\n%s", r, e2e.Tail(p.Log(), 40))
	} else {
		t.Logf("sluice_source_reconnects_total = %v", r)
	}
}
