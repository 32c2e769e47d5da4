package main

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
	"github.com/sluice-cdc/sluice/pkg/testutil/tcpproxy"
)

// txRowsSchema is the table of the source fault tests: every transaction
// writes size rows under one tx id, so a replica that ever shows a tx id
// with fewer rows than its size has shown a partial transaction.
const txRowsSchema = `CREATE DATABASE shop;
CREATE TABLE shop.txrows (tx INT NOT NULL, n INT NOT NULL, size INT NOT NULL, pad VARCHAR(200) NOT NULL, PRIMARY KEY (tx, n))`

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
	execAll(t, sdb, txRowsSchema)
	px, err := tcpproxy.Start(src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Close)

	cfg, admin := writeConfig(t, t.TempDir(), src, dst, false)
	redirectSource(t, cfg, src.Addr(), px.Addr())
	p := startProc(t, "sluice.log", "run", "--config", cfg)
	procs := []*proc{p}
	waitHTTP(t, "http://"+admin+"/readyz", 60*time.Second)

	chk := watchPartial(t, ddb, "shop.txrows")
	// 1. A cut in the middle of a streamed 20,000-row transaction, alone
	// in the binlog so that the rows the source has read are its rows.
	before := binlogEnd(t, sdb)
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
		mustExec(t, tx, b.String())
	}
	px.SetRate(400 << 10) // about 7 s for the transaction's ~2.7 MB of binlog
	sent := px.BytesDown()
	read0 := metricValue(httpGet(t, "http://"+admin+"/metrics"), "sluice_source_rows_read_total")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	size := binlogEnd(t, sdb) - before
	var read float64
	waitFor(t, 30*time.Second, "the source to read 5000 rows of the large transaction", func() bool {
		read = metricValue(httpGet(t, "http://"+admin+"/metrics"), "sluice_source_rows_read_total") - read0
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
	wl := startTxWorkload(t, sdb, 1, 20, 5*time.Millisecond)
	waitFor(t, 90*time.Second, "the large transaction on the replica", func() bool {
		var c int
		_ = ddb.QueryRow("SELECT COUNT(*) FROM shop.txrows WHERE tx = -1").Scan(&c)
		return c == bigRows
	})
	cutRecovery := time.Since(cut)
	t.Logf("MEASURE source-cut: recovered (large transaction applied) %s after the cut", cutRecovery.Round(time.Millisecond))

	// 2. The source server killed and restarted under the workload, while
	// the reader streams.
	waitHTTP(t, "http://"+admin+"/readyz", 60*time.Second)
	time.Sleep(time.Second)
	if err := src.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	time.Sleep(2 * time.Second)
	if err := src.Restart(); err != nil {
		t.Fatal(err)
	}
	before2 := wl.committed()
	waitFor(t, 90*time.Second, "new transactions on the replica after the restart", func() bool {
		var m sql.NullInt64
		_ = ddb.QueryRow("SELECT MAX(tx) FROM shop.txrows").Scan(&m)
		return m.Int64 > int64(before2)
	})
	restartRecovery := time.Since(killed)
	t.Logf("MEASURE source-restart: replica advancing again %s after the kill (server down 2 s)", restartRecovery.Round(time.Millisecond))

	txs := wl.stop()
	waitEqual(t, sdb, ddb, 90*time.Second, procs, "shop.txrows")
	checks, bad := chk.stop()
	t.Logf("workload committed %d transactions; %d replica checks", txs, checks)
	if bad != "" {
		t.Errorf("a partial transaction was visible on the replica: %s", bad)
	}
	defer func() {
		result, rows := "pass", tableCount(t, ddb, "shop.txrows")
		if t.Failed() {
			result = "FAIL"
		}
		soakRow(t, "source connection cut mid-transaction", 1, rows, cutRecovery.Round(10*time.Millisecond).String(), result)
		soakRow(t, "source MariaDB killed and restarted", 1, rows, restartRecovery.Round(10*time.Millisecond).String()+" (2 s down)", result)
	}()
	m := httpGet(t, "http://"+admin+"/metrics")
	if r := metricValue(m, "sluice_source_reconnects_total"); r < 2 {
		t.Errorf("sluice_source_reconnects_total = %v, want at least 2 (one cut, one restart); log:\n%s", r, tail(p.logText(), 40))
	} else {
		t.Logf("sluice_source_reconnects_total = %v", r)
	}
}

// redirectSource points the source DSN of the config at path to addr.
func redirectSource(t testing.TB, path, from, to string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`dsn: "root@tcp(%s)/"`+"\n    server_id", from)
	s := strings.Replace(string(b), old, fmt.Sprintf(`dsn: "root@tcp(%s)/"`+"\n    server_id", to), 1)
	if s == string(b) {
		t.Fatalf("no source dsn %s in %s", from, path)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// binlogEnd returns the server's current binlog position (single file).
func binlogEnd(t testing.TB, db *sql.DB) int64 {
	t.Helper()
	rows, err := db.Query("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("SHOW MASTER STATUS: no row")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(vals[1].String, 10, 64)
	return n
}

func waitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue sums every series of a metric in a Prometheus text body.
func metricValue(body, name string) float64 {
	re := regexp.MustCompile(`(?m)^` + name + `(?:\{[^}]*\})? ([0-9.e+-]+)$`)
	var sum float64
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	return sum
}

// partialWatch polls a replica table for tx ids with a partial row count.
type partialWatch struct {
	quit   chan struct{}
	done   chan struct{}
	checks int
	bad    string
}

// watchPartial checks every 20 ms that each tx id of table has either no
// rows or all size of them on db.
func watchPartial(t testing.TB, db *sql.DB, table string) *partialWatch {
	w := &partialWatch{quit: make(chan struct{}), done: make(chan struct{})}
	q := "SELECT tx, COUNT(*), MAX(size) FROM " + table + " GROUP BY tx HAVING COUNT(*) <> MAX(size) LIMIT 1"
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var tx, c, size int
			err := db.QueryRow(q).Scan(&tx, &c, &size)
			if err == nil && w.bad == "" {
				w.bad = fmt.Sprintf("tx %d: %d of its %d rows", tx, c, size)
			}
			if err == nil || err == sql.ErrNoRows {
				w.checks++
			}
		}
	}()
	return w
}

func (w *partialWatch) stop() (checks int, bad string) {
	close(w.quit)
	<-w.done
	return w.checks, w.bad
}

// txWorkload commits transactions of rows statements of one row each, tx
// ids from first up, pausing pause after each, and rides out server
// restarts.
type txWorkload struct {
	quit chan struct{}
	done chan struct{}
	last atomic.Int64
}

func startTxWorkload(t testing.TB, db *sql.DB, first, rows int, pause time.Duration) *txWorkload {
	w := &txWorkload{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for id := first; ; id++ {
			select {
			case <-w.quit:
				return
			default:
			}
			if err := oneTx(db, id, rows); err != nil {
				time.Sleep(100 * time.Millisecond) // server down: the tx is either all there or not at all
				continue
			}
			w.last.Store(int64(id))
			time.Sleep(pause)
		}
	}()
	return w
}

func oneTx(db *sql.DB, id, rows int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for i := 0; i < rows; i++ {
		if _, err := tx.Exec("INSERT INTO shop.txrows VALUES (?, ?, ?, 'w')", id, i, rows); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func (w *txWorkload) committed() int { return int(w.last.Load()) }

func (w *txWorkload) stop() int {
	close(w.quit)
	<-w.done
	return w.committed()
}
