package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestSnapshotResume kills sluice in the middle of a parallel initial
// snapshot of two tables, changes rows already copied, and restarts it:
// the snapshot continues after the last acknowledged chunk of each table
// (the rows read after the restart plus those recorded before it are each
// table's rows exactly: no chunk was read twice), and the replica ends
// equal to the source.
func TestSnapshotResume(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\n"+e2e.ItemsTable("shop.items")+";\n"+e2e.ItemsTable("shop.parts"))
	const total = 20000
	e2e.FillTable(t, sdb, "shop.items", 0, total)
	e2e.FillTable(t, sdb, "shop.parts", 0, total)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 100\n    snapshot_parallelism: 2\n")
	// 20 ms after each 100-row chunk: the snapshot takes at least 4 s, so
	// the kill below lands in its middle however fast it reads.
	t.Setenv("SLUICE_TEST_SNAPSHOT_CHUNK_DELAY", "20ms")
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)

	// Kill once the replica holds part of the snapshot and a checkpoint
	// recorded some progress (saved about every half second).
	e2e.WaitRowCount(t, ddb, "shop.items", 1, 60*time.Second, p)
	time.Sleep(time.Second) // two checkpoint saves: the first rows can reach the replica before one
	p.Kill()
	first := p.Log()
	if strings.Contains(first, "snapshot done") {
		t.Fatalf("the kill landed after the snapshot finished; the test needs a bigger table")
	}
	if !strings.Contains(first, "parallelism=2") {
		t.Errorf("the snapshot did not copy two tables at once:\n%s", e2e.Tail(first, 20))
	}
	// Rows already copied change while sluice is down: the stream from the
	// snapshot's position carries that.
	e2e.MustExec(t, sdb, "DELETE FROM shop.items WHERE id < 50")
	e2e.MustExec(t, sdb, "UPDATE shop.parts SET qty = qty + 1000 WHERE id < 100")
	// The resumed snapshot at full speed, in bigger chunks (it goes on
	// from the recorded key, whatever the chunk size).
	os.Unsetenv("SLUICE_TEST_SNAPSHOT_CHUNK_DELAY")
	e2e.EditConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 2000\n")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 120*time.Second, []*e2e.Proc{p}, "shop.items", "shop.parts")
	log := p.Log()[len(first):]
	if !strings.Contains(log, "previous snapshot did not finish: resuming it") {
		t.Fatalf("the restart did not resume the snapshot:\n%s", e2e.Tail(log, 30))
	}
	done := e2e.LogInts(log, "rows_done", "resuming it")
	if len(done) != 1 || done[0] == 0 {
		t.Fatalf("the restart resumed with rows_done %v; want some rows recorded before the kill:\n%s", done, e2e.Tail(log, 30))
	}
	// Every resumed table's count (recorded before + read after) is its size
	// when it was finished: ids 0..49 of items were deleted before they could
	// be read again, and no chunk was read twice.
	for _, tb := range []string{"shop.items", "shop.parts"} {
		rows := e2e.LogInts(log, "rows", "incremental snapshot table done", "table="+tb+" ")
		if len(rows) > 1 || (len(rows) == 1 && rows[0] != total) {
			t.Errorf("%s: resumed snapshot counted %v rows, want %d (before the kill plus after the restart)", tb, rows, total)
		}
	}
	t.Logf("killed with %d rows recorded; resumed and converged", done[0])
	e2e.ShowLog(t, p)
}
