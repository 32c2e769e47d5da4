package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestGTIDFailover: the source's MariaDB P has two GTID replicas, R and a
// lagging L (its SQL thread stopped while the workload runs). The sluice
// source reading P is killed (SIGKILL, so Kafka may hold transactions past
// its recorded position) and P is stopped. Pointed at L, the source refuses
// and names the GTIDs L lacks; pointed at R, it follows R from the GTID set
// it published up to. The sink's replica ends equal to R row for row,
// nothing lost or doubled (the ledger's ids), and no row ever went back to
// an older version (an audit trigger on the replica).
func TestGTIDFailover(t *testing.T) {
	ctx := ctxTimeout(t, 120*time.Second)
	const accounts = 50
	p := mariadbtest.Start(t, mariadbtest.Options{})
	r := mariadbtest.Start(t, mariadbtest.Options{LogReplicaUpdates: true})
	l := mariadbtest.Start(t, mariadbtest.Options{LogReplicaUpdates: true})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	for _, x := range []*mariadbtest.Server{r, l} {
		if err := x.ReplicateFrom(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	pdb, rdb, ldb, ddb := p.DB(t), r.DB(t), l.DB(t), dst.DB(t)
	const schema = `CREATE DATABASE shop;
CREATE TABLE shop.accounts (id INT PRIMARY KEY, version BIGINT NOT NULL, balance BIGINT NOT NULL, note VARCHAR(64) NULL);
CREATE TABLE shop.ledger (id BIGINT PRIMARY KEY, account INT NOT NULL, delta BIGINT NOT NULL)`
	execAll(t, pdb, schema)
	execAll(t, ddb, schema+`;
CREATE DATABASE audit;
CREATE TABLE audit.regressions (id INT, old_version BIGINT, new_version BIGINT);
CREATE TRIGGER shop.accounts_no_regress AFTER UPDATE ON shop.accounts FOR EACH ROW
  INSERT INTO audit.regressions SELECT NEW.id, OLD.version, NEW.version FROM DUAL WHERE NEW.version < OLD.version`)
	var b strings.Builder
	for i := 1; i <= accounts; i++ {
		fmt.Fprintf(&b, ",(%d, 0, 1000, NULL)", i)
	}
	mustExec(t, pdb, "INSERT INTO shop.accounts VALUES "+b.String()[1:])
	// P's binlog coordinates run ahead of R's (rotations are not
	// replicated): Seqs made from R's coordinates alone would fall below
	// those already published, and the sink would skip R's transactions.
	execAll(t, pdb, "FLUSH BINARY LOGS; FLUSH BINARY LOGS; FLUSH BINARY LOGS")

	dir := t.TempDir()
	cfgPath, _ := writeConfig(t, dir, p, dst, true)
	broker := startProc(t, "broker.log", "broker", "--config", cfgPath)
	srcAdmin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	sinkAdmin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	source := startProc(t, "source.log", "run", "--config", cfgPath, "--connector", "src", "--admin", srcAdmin)
	sink := startProc(t, "sink.log", "run", "--config", cfgPath, "--connector", "replica-1", "--admin", sinkAdmin)
	procs := []*proc{broker, source, sink}
	waitHTTP(t, "http://"+srcAdmin+"/readyz", 60*time.Second)

	// The workload runs on P; L stops applying halfway, the source is
	// killed while P still commits.
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- workload(t, pdb, accounts, stop) }()
	time.Sleep(1500 * time.Millisecond)
	mustExec(t, ldb, "STOP SLAVE SQL_THREAD")
	time.Sleep(1500 * time.Millisecond)
	source.kill()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	txs := <-done
	if err := r.WaitReplicated(ctx, p); err != nil {
		t.Fatal(err)
	}
	var lPos string
	if err := ldb.QueryRow("SELECT @@gtid_slave_pos").Scan(&lPos); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("P committed %d workload transactions; L stopped at GTID %s", txs, lPos)

	// Pointed at the lagging replica: refused, naming what it lacks.
	pointSource(t, cfgPath, p, l)
	source.start()
	waitExit(t, source, 60*time.Second)
	out := source.logText()
	if !regexp.MustCompile(`GTID domain 0: seq_no \d+ to \d+ .*missing`).MatchString(out) || !strings.Contains(out, "MASTER_GTID_WAIT") {
		t.Fatalf("the source on a lagging replica should refuse, naming the missing GTIDs and the fix; its log:\n%s", tail(out, 20))
	}
	t.Logf("refused on the lagging replica: %s", firstLine(out, "missing"))

	// Pointed at the up-to-date replica: followed by GTID, then R's own
	// writes flow too.
	pointSource(t, cfgPath, l, r)
	restart := time.Now()
	source.start()
	waitHTTP(t, "http://"+srcAdmin+"/readyz", 60*time.Second)
	ready := time.Since(restart)
	stop = make(chan struct{})
	go func() { done <- workload(t, rdb, accounts, stop) }()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	txs = <-done
	start := time.Now()
	waitEqual(t, rdb, ddb, 60*time.Second, procs, "shop.accounts", "shop.ledger")
	t.Logf("MEASURE failover: source ready on R %s after its start; replica equal to R %s after R's workload (%d transactions) ended; %d ledger rows checked",
		ready.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), txs, tableCount(t, ddb, "shop.ledger"))
	t.Logf("%s", firstLine(source.logText(), "following it by GTID"))
	if txs == 0 {
		t.Fatal("no transaction committed on R after the failover")
	}
	if !strings.Contains(source.logText(), "source server changed: following it by GTID") {
		t.Errorf("the source log does not report the failover:\n%s", tail(source.logText(), 20))
	}
	var regressions int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM audit.regressions").Scan(&regressions); err != nil {
		t.Fatal(err)
	}
	if regressions > 0 {
		t.Errorf("%d updates moved an account back to an older version on the replica: a transaction was applied twice", regressions)
	}
	if code, out := runSluice(t, "verify", "--config", cfgPath, "--connector", "replica-1"); code != 0 {
		t.Errorf("sluice verify after the failover: exit %d:\n%s", code, tail(out, 10))
	}
	// With the sink behind, verify must wait for it at the new server's
	// position, placed among the raised Seqs by the source's seq base: with
	// a wrong base it would compare at once and report the row as
	// different; with the right one it waits, and says the sink does not
	// advance. Once the sink runs again, verify finds the tables equal.
	if err := sink.stop(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rdb, "UPDATE shop.accounts SET balance = balance + 1 WHERE id = 1")
	if code, out := runSluice(t, "verify", "--config", cfgPath, "--connector", "replica-1", "--max-wait", "3s"); code != 2 || !strings.Contains(out, "sink is not advancing") {
		t.Errorf("verify with the sink stopped after a failover: exit %d, want 2 and 'sink is not advancing':\n%s", code, tail(out, 10))
	}
	sink.start()
	if code, out := runSluice(t, "verify", "--config", cfgPath, "--connector", "replica-1"); code != 0 {
		t.Errorf("verify with the sink running again after a failover: exit %d:\n%s", code, tail(out, 10))
	}
	checkNoRace(t, procs)
}

// pointSource rewrites the source's dsn in the config from one server to
// another.
func pointSource(t *testing.T, cfgPath string, from, to *mariadbtest.Server) {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf("root@tcp(%s)/", from.Addr())
	if !strings.Contains(string(b), old) {
		t.Fatalf("config has no dsn %s", old)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(b), old, fmt.Sprintf("root@tcp(%s)/", to.Addr()), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s, with string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, with) {
			return l
		}
	}
	return ""
}

func checkNoRace(t *testing.T, procs []*proc) {
	for _, p := range procs {
		if strings.Contains(p.logText(), "DATA RACE") {
			t.Errorf("race detected in %v:\n%s", p.args, p.logText())
		}
	}
}
