package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
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
	ctx := e2e.CtxTimeout(t, 120*time.Second)
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
	e2e.SetupAccounts(t, pdb, ddb, accounts)
	// P's binlog coordinates run ahead of R's (rotations are not
	// replicated): Seqs made from R's coordinates alone would fall below
	// those already published, and the sink would skip R's transactions.
	e2e.ExecAll(t, pdb, "FLUSH BINARY LOGS; FLUSH BINARY LOGS; FLUSH BINARY LOGS")

	dir := t.TempDir()
	cfgPath, _ := e2e.WriteConfig(t, dir, p, dst, true)
	sp := e2e.StartSplit(t, cfgPath)
	source, sink, procs := sp.Source, sp.Sink, sp.Procs()
	srcAdmin := sp.SourceAdmin
	e2e.WaitHTTP(t, "http://"+srcAdmin+"/readyz", 60*time.Second)

	// The workload runs on P; L stops applying halfway, the source is
	// killed while P still commits.
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- e2e.AccountsWorkload(t, pdb, accounts, stop) }()
	time.Sleep(1500 * time.Millisecond)
	e2e.MustExec(t, ldb, "STOP SLAVE SQL_THREAD")
	time.Sleep(1500 * time.Millisecond)
	source.Kill()
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
	e2e.PointSource(t, cfgPath, p.Addr(), l.Addr())
	source.Start()
	e2e.WaitExit(t, source, 60*time.Second)
	out := source.Log()
	if !regexp.MustCompile(`GTID domain 0: seq_no \d+ to \d+ .*missing`).MatchString(out) || !strings.Contains(out, "MASTER_GTID_WAIT") {
		t.Fatalf("the source on a lagging replica should refuse, naming the missing GTIDs and the fix; its log:\n%s", e2e.Tail(out, 20))
	}
	t.Logf("refused on the lagging replica: %s", firstLine(out, "missing"))

	// Pointed at the up-to-date replica: followed by GTID, then R's own
	// writes flow too.
	e2e.PointSource(t, cfgPath, l.Addr(), r.Addr())
	restart := time.Now()
	source.Start()
	e2e.WaitHTTP(t, "http://"+srcAdmin+"/readyz", 60*time.Second)
	ready := time.Since(restart)
	stop = make(chan struct{})
	go func() { done <- e2e.AccountsWorkload(t, rdb, accounts, stop) }()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	txs = <-done
	start := time.Now()
	e2e.WaitEqual(t, rdb, ddb, 60*time.Second, procs, "shop.accounts", "shop.ledger")
	t.Logf("MEASURE failover: source ready on R %s after its start; replica equal to R %s after R's workload (%d transactions) ended; %d ledger rows checked",
		ready.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), txs, e2e.TableCount(t, ddb, "shop.ledger"))
	t.Logf("%s", firstLine(source.Log(), "following it by GTID"))
	if txs == 0 {
		t.Fatal("no transaction committed on R after the failover")
	}
	if !strings.Contains(source.Log(), "source server changed: following it by GTID") {
		t.Errorf("the source log does not report the failover:\n%s", e2e.Tail(source.Log(), 20))
	}
	e2e.CheckNoRegressions(t, ddb)
	if code, out := e2e.Run(t, "verify", "--config", cfgPath, "--connector", "replica-1"); code != 0 {
		t.Errorf("sluice verify after the failover: exit %d:\n%s", code, e2e.Tail(out, 10))
	}
	// With the sink behind, verify must wait for it at the new server's
	// position, placed among the raised Seqs by the source's seq base: with
	// a wrong base it would compare at once and report the row as
	// different; with the right one it waits, and says the sink does not
	// advance. Once the sink runs again, verify finds the tables equal.
	if err := sink.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.MustExec(t, rdb, "UPDATE shop.accounts SET balance = balance + 1 WHERE id = 1")
	if code, out := e2e.Run(t, "verify", "--config", cfgPath, "--connector", "replica-1", "--max-wait", "3s"); code != 2 || !strings.Contains(out, "sink is not advancing") {
		t.Errorf("verify with the sink stopped after a failover: exit %d, want 2 and 'sink is not advancing':\n%s", code, e2e.Tail(out, 10))
	}
	sink.Start()
	if code, out := e2e.Run(t, "verify", "--config", cfgPath, "--connector", "replica-1"); code != 0 {
		t.Errorf("verify with the sink running again after a failover: exit %d:\n%s", code, e2e.Tail(out, 10))
	}
	e2e.CheckNoRace(t, procs...)
}

// firstLine returns the first line of s that contains with.
func firstLine(s, with string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, with) {
			return l
		}
	}
	return ""
}
