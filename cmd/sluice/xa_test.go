package main

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestXA: a prepared XA transaction reaches the replica only at XA COMMIT,
// never after XA ROLLBACK, and also when sluice restarts while it is
// prepared (its XA PREPARE is then read again).
func TestXA(t *testing.T) {
	sdb, ddb, p := e2e.KVPipeline(t, mariadbtest.Options{})
	xaExec(t, sdb, "XA START 'c1'", "INSERT INTO shop.kv (id, v) VALUES (10, 'xa commit')", "UPDATE shop.kv SET n = 42 WHERE id = 1",
		"XA END 'c1'", "XA PREPARE 'c1'")
	xaExec(t, sdb, "XA START 'r1'", "INSERT INTO shop.kv (id, v) VALUES (11, 'xa rollback')", "XA END 'r1'", "XA PREPARE 'r1'")
	// One phase: MariaDB logs it as an ordinary transaction.
	xaExec(t, sdb, "XA START 'o1'", "INSERT INTO shop.kv (id, v) VALUES (13, 'one phase')", "XA END 'o1'", "XA COMMIT 'o1' ONE PHASE")
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (12, 'plain')")
	waitRow(t, ddb, 12, p)
	if n := countRows(t, ddb, "id IN (10, 11) OR n = 42"); n != 0 {
		t.Fatalf("prepared XA rows reached the replica before their outcome: %d", n)
	}
	e2e.MustExec(t, sdb, "XA ROLLBACK 'r1'")
	e2e.MustExec(t, sdb, "XA COMMIT 'c1'")
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.kv")

	// A restart while prepared: the prepare is read again.
	xaExec(t, sdb, "XA START 'c2'", "INSERT INTO shop.kv (id, v) VALUES (20, 'across a restart')", "XA END 'c2'", "XA PREPARE 'c2'")
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (21, 'plain')")
	waitRow(t, ddb, 21, p)
	time.Sleep(2 * time.Second) // past a checkpoint
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.MustExec(t, sdb, "XA COMMIT 'c2'")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.kv")
}

// xaExec runs statements on one connection and then drops it, so that a
// transaction it prepared is left to be committed from another session.
func xaExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	conn, err := db.Conn(e2e.CtxTimeout(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.ExecContext(e2e.CtxTimeout(t, time.Minute), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // discard the connection
}

func waitRow(t *testing.T, db *sql.DB, id int, p *e2e.Proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for countRows(t, db, fmt.Sprintf("id = %d", id)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("row %d did not reach the replica:\n%s", id, e2e.Tail(p.Log(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countRows counts the rows of shop.kv matching where.
func countRows(t *testing.T, db *sql.DB, where string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM shop.kv WHERE " + where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
