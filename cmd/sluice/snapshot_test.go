package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestSnapshotInterrupted kills sluice in the middle of its initial
// snapshot, deletes rows the replica already received, and restarts it:
// the replica must end equal to the source, without the deleted rows.
func TestSnapshotInterrupted(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\n"+e2e.ItemsTable("shop.items"))
	const total = 60000
	e2e.FillTable(t, sdb, "shop.items", 0, total)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)

	// Kill as soon as the replica holds part of the snapshot.
	e2e.WaitRowCount(t, ddb, "shop.items", 1, 60*time.Second, p)
	p.Kill()
	if strings.Contains(p.Log(), "snapshot done") {
		t.Fatalf("the kill landed after the snapshot finished; the test needs a bigger table")
	}
	var copied int
	_ = ddb.QueryRow("SELECT COUNT(*) FROM shop.items").Scan(&copied)
	// Rows the replica already has are deleted on the source while sluice is
	// down, and others change: a restart from scratch must not keep them.
	e2e.MustExec(t, sdb, "DELETE FROM shop.items WHERE id < 50")
	e2e.MustExec(t, sdb, "UPDATE shop.items SET qty = qty + 1000 WHERE id BETWEEN 50 AND 99")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 120*time.Second, []*e2e.Proc{p}, "shop.items")
	if !strings.Contains(p.Log(), "previous snapshot did not finish") {
		t.Errorf("the restart did not report the interrupted snapshot:\n%s", e2e.Tail(p.Log(), 20))
	}
	t.Logf("killed with %d of %d rows on the replica; converged after restart", copied, total)
}
