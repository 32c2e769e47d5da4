package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// TestRecoveryProcedures follows, step by step, the recovery each resume
// fault prints (TestSinkResumeFaults checks the messages) and checks that
// it ends where an operator expects: the replica equal to the source row
// for row, sluice running. The faults are made for real: retention deleting
// transactions the sink had not read, a table topic re-created with another
// partition count, the source's checkpoint corrupted while rows were
// deleted at the source.
func TestRecoveryProcedures(t *testing.T) {
	e := newFaultEnv(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ctxTimeout(t, 5*time.Minute)
	txTopic := "_sluice.test.src.transaction"
	p := e.run()
	mustExec(t, e.sdb, "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	e.waitRows(p, 3, 30*time.Second)
	stopOK(t, p)

	// 1. Retention deleted two transactions the sink had not read (a new
	// row and an update of an old one): the sink stops and says to move
	// its offset past the gap and re-sync.
	_, end0, _ := e.kc.Offsets(ctx, txTopic, 0)
	p = e.run("--connector", "src")
	mustExec(t, e.sdb, "INSERT INTO shop.t VALUES (4, 'd')")
	mustExec(t, e.sdb, "UPDATE shop.t SET v = 'B' WHERE id = 2")
	waitFor(t, 30*time.Second, "two markers", func() bool {
		_, end, _ := e.kc.Offsets(ctx, txTopic, 0)
		return end >= end0+2
	})
	stopOK(t, p)
	_, gapEnd, _ := e.kc.Offsets(ctx, txTopic, 0)
	deleteRecords(t, cl, txTopic, gapEnd)
	p = e.run()
	mustContain(t, "log", waitFailed(t, p, 30*time.Second), "UPDATE `sluice`.`sluice_offsets` SET next_offset = <the partition's first offset>")
	first, _, err := e.kc.Offsets(ctx, txTopic, 0)
	if err != nil || first != gapEnd {
		t.Fatalf("first offset of %s = %d (%v), want %d", txTopic, first, err, gapEnd)
	}
	mustExec(t, e.ddb, "UPDATE sluice.sluice_offsets SET next_offset = ? WHERE sink = 'test/replica-1' AND topic = ? AND kpartition = 0", first, txTopic)
	p = e.run()
	mustExec(t, e.sdb, "INSERT INTO shop.t VALUES (5, 'e')")
	resync(t, e, p, "after the retention gap")

	// 2. The table topic deleted and created again with 5 partitions: the
	// sink says to start over, the source to set kafka.partitions.
	stopOK(t, p)
	mustExec(t, e.sdb, "INSERT INTO shop.t VALUES (6, 'f')")
	deleteTopic(t, cl, "test.shop.t")
	waitFor(t, 30*time.Second, "test.shop.t deleted", func() bool {
		n, err := e.kc.Partitions(ctx, "test.shop.t")
		return err == nil && n == 0
	})
	if n, err := e.kc.EnsureTopic(ctx, kafka.TopicSpec{Name: "test.shop.t", Partitions: 5}); err != nil || n != 5 {
		t.Fatalf("re-create test.shop.t: %d partitions, %v", n, err)
	}
	p = e.run()
	log := waitFailed(t, p, 30*time.Second)
	mustContain(t, "log", log, "DELETE FROM `sluice`.`sluice_offsets` WHERE sink = 'test/replica-1' AND topic = 'test.shop.t'")
	mustExec(t, e.ddb, "DELETE FROM sluice.sluice_offsets WHERE sink = 'test/replica-1' AND topic = 'test.shop.t'")
	editConfig(t, e.cfg, "partitions: 3", "partitions: 5")
	p = e.run()
	mustExec(t, e.sdb, "INSERT INTO shop.t VALUES (7, 'g')")
	resync(t, e, p, "after the partition count change")

	// 3. The source's checkpoint corrupted while rows were deleted at the
	// source: delete the checkpoint topic (the source snapshots again),
	// then verify --repair removes what the snapshot cannot.
	stopOK(t, p)
	mustExec(t, e.sdb, "DELETE FROM shop.t WHERE id IN (1, 6)")
	mustExec(t, e.sdb, "UPDATE shop.t SET v = 'C' WHERE id = 3")
	e.produce("_sluice.test.src.offsets", 0, "src", "garbage")
	p = e.run()
	mustContain(t, "log", waitFailed(t, p, 30*time.Second), "delete the topic _sluice.test.src.offsets", "sluice verify --config FILE --repair")
	deleteTopic(t, cl, "_sluice.test.src.offsets")
	p = e.run()
	waitFor(t, 60*time.Second, "the new snapshot on the replica", func() bool {
		var v string
		_ = e.ddb.QueryRow("SELECT v FROM shop.t WHERE id = 3").Scan(&v)
		return v == "C"
	})
	out, err := exec.Command(binary, "verify", "--config", e.cfg, "--repair").CombinedOutput()
	t.Logf("verify --repair (%v):\n%s", err, out)
	if !strings.Contains(string(out), "repaired") {
		t.Errorf("verify --repair did not report the rows it repaired (ids 1 and 6 deleted at the source while its checkpoint was lost)")
	}
	waitEqual(t, e.sdb, e.ddb, 60*time.Second, []*proc{p}, "shop.t")
	if out, err := exec.Command(binary, "verify", "--config", e.cfg).CombinedOutput(); err != nil {
		t.Errorf("verify after the recovery: %v\n%s", err, out)
	}
	if done, err := p.exited(); done {
		t.Errorf("sluice exited after the recovery: %v", err)
	}
	stopOK(t, p)
}

// resync runs `sluice snapshot` for shop.t, as the recovery procedures
// say, and waits until the replica equals the source with p running.
func resync(t *testing.T, e *faultEnv, p *proc, when string) {
	t.Helper()
	if out, err := exec.Command(binary, "snapshot", "--config", e.cfg, "--table", "shop.t").CombinedOutput(); err != nil {
		t.Fatalf("%s: sluice snapshot: %v\n%s", when, err, out)
	}
	waitEqual(t, e.sdb, e.ddb, 60*time.Second, []*proc{p}, "shop.t")
	if done, err := p.exited(); done {
		t.Fatalf("%s: sluice exited: %v\n%s", when, err, tail(p.logText(), 30))
	}
	t.Logf("%s: replica equal to the source after the documented recovery", when)
}

func stopOK(t *testing.T, p *proc) {
	t.Helper()
	if err := p.stop(); err != nil {
		t.Fatalf("stop sluice: %v\n%s", err, tail(p.logText(), 20))
	}
}
