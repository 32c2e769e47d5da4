package main

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
)

// TestRecoveryProcedures follows, step by step, the recovery each resume
// fault prints (TestSinkResumeFaults checks the messages) and checks that
// it ends where an operator expects: the replica equal to the source row
// for row, sluice running. The faults are made for real: retention deleting
// transactions the sink had not read, a table topic re-created with another
// partition count, the source's checkpoint corrupted while rows were
// deleted at the source.
func TestRecoveryProcedures(t *testing.T) {
	e := e2e.NewFaultEnv(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := e2e.CtxTimeout(t, 5*time.Minute)
	txTopic := "_sluice.test.src.transaction"
	p := e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	e.WaitRows(p, 3, 30*time.Second)
	stopOK(t, p)

	// 1. Retention deleted two transactions the sink had not read (a new
	// row and an update of an old one): the sink stops and says to move
	// its offset past the gap and re-sync.
	_, end0, _ := e.Kafka.Offsets(ctx, txTopic, 0)
	p = e.Run("--connector", "src")
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (4, 'd')")
	e2e.MustExec(t, e.SDB, "UPDATE shop.t SET v = 'B' WHERE id = 2")
	e2e.WaitFor(t, 30*time.Second, "two markers", func() bool {
		_, end, _ := e.Kafka.Offsets(ctx, txTopic, 0)
		return end >= end0+2
	})
	stopOK(t, p)
	_, gapEnd, _ := e.Kafka.Offsets(ctx, txTopic, 0)
	e2e.DeleteRecords(t, cl, txTopic, gapEnd)
	p = e.Run()
	e2e.MustContain(t, "log", e2e.WaitFailed(t, p, 30*time.Second), "UPDATE `sluice`.`sluice_offsets` SET next_offset = <the partition's first offset>")
	first, _, err := e.Kafka.Offsets(ctx, txTopic, 0)
	if err != nil || first != gapEnd {
		t.Fatalf("first offset of %s = %d (%v), want %d", txTopic, first, err, gapEnd)
	}
	e2e.MustExec(t, e.DDB, "UPDATE sluice.sluice_offsets SET next_offset = ? WHERE sink = 'test/replica-1' AND topic = ? AND kpartition = 0", first, txTopic)
	p = e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (5, 'e')")
	resync(t, e, p, "after the retention gap")

	// 2. The table topic deleted and created again with 5 partitions: the
	// sink says to start over, the source to set kafka.partitions.
	stopOK(t, p)
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (6, 'f')")
	e2e.DeleteTopic(t, cl, "test.src.shop.t")
	e2e.WaitFor(t, 30*time.Second, "test.src.shop.t deleted", func() bool {
		n, err := e.Kafka.Partitions(ctx, "test.src.shop.t")
		return err == nil && n == 0
	})
	if n, err := e.Kafka.EnsureTopic(ctx, kafka.TopicSpec{Name: "test.src.shop.t", Partitions: 5}); err != nil || n != 5 {
		t.Fatalf("re-create test.src.shop.t: %d partitions, %v", n, err)
	}
	p = e.Run()
	log := e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "log", log, "DELETE FROM `sluice`.`sluice_offsets` WHERE sink = 'test/replica-1' AND topic = 'test.src.shop.t'")
	e2e.MustExec(t, e.DDB, "DELETE FROM sluice.sluice_offsets WHERE sink = 'test/replica-1' AND topic = 'test.src.shop.t'")
	e2e.EditConfig(t, e.Config, "partitions: 3", "partitions: 5")
	p = e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (7, 'g')")
	resync(t, e, p, "after the partition count change")

	// 3. The source's checkpoint corrupted while rows were deleted at the
	// source: delete the checkpoint topic (the source snapshots again),
	// then verify --repair removes what the snapshot cannot.
	stopOK(t, p)
	e2e.MustExec(t, e.SDB, "DELETE FROM shop.t WHERE id IN (1, 6)")
	e2e.MustExec(t, e.SDB, "UPDATE shop.t SET v = 'C' WHERE id = 3")
	e.Produce("_sluice.test.src.offsets", 0, "src", "garbage")
	p = e.Run()
	e2e.MustContain(t, "log", e2e.WaitFailed(t, p, 30*time.Second), "delete the topic _sluice.test.src.offsets", "sluice verify --config FILE --repair")
	e2e.DeleteTopic(t, cl, "_sluice.test.src.offsets")
	p = e.Run()
	e2e.WaitFor(t, 60*time.Second, "the new snapshot on the replica", func() bool {
		var v string
		_ = e.DDB.QueryRow("SELECT v FROM shop.t WHERE id = 3").Scan(&v)
		return v == "C"
	})
	code, out := e2e.Run(t, "verify", "--config", e.Config, "--repair")
	t.Logf("verify --repair (exit %d):\n%s", code, out)
	if !strings.Contains(out, "repaired") {
		t.Errorf("verify --repair did not report the rows it repaired (ids 1 and 6 deleted at the source while its checkpoint was lost)")
	}
	e2e.WaitEqual(t, e.SDB, e.DDB, 60*time.Second, []*e2e.Proc{p}, "shop.t")
	if code, out := e2e.Run(t, "verify", "--config", e.Config); code != 0 {
		t.Errorf("verify after the recovery: exit %d\n%s", code, out)
	}
	if done, err := p.Exited(); done {
		t.Errorf("sluice exited after the recovery: %v", err)
	}
	stopOK(t, p)
}

// resync runs `sluice snapshot` for shop.t, as the recovery procedures
// say, and waits until the replica equals the source with p running.
func resync(t *testing.T, e *e2e.FaultEnv, p *e2e.Proc, when string) {
	t.Helper()
	if code, out := e2e.Run(t, "snapshot", "--config", e.Config, "--table", "shop.t"); code != 0 {
		t.Fatalf("%s: sluice snapshot: exit %d\n%s", when, code, out)
	}
	e2e.WaitEqual(t, e.SDB, e.DDB, 60*time.Second, []*e2e.Proc{p}, "shop.t")
	if done, err := p.Exited(); done {
		t.Fatalf("%s: sluice exited: %v\n%s", when, err, e2e.Tail(p.Log(), 30))
	}
	t.Logf("%s: replica equal to the source after the documented recovery", when)
}

func stopOK(t *testing.T, p *e2e.Proc) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Fatalf("stop sluice: %v\n%s", err, e2e.Tail(p.Log(), 20))
	}
}
