package main

import (
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

const swapSchema = `CREATE DATABASE shop;
CREATE TABLE shop.u (id INT PRIMARY KEY, u VARCHAR(20) NOT NULL, v INT NOT NULL, UNIQUE KEY (u))`

// TestKeySwaps: unique-key swaps inside one transaction (a→b, b→a through a
// temporary value, as the source requires), primary-key swaps (each an
// update that becomes a delete and an insert on different partitions), and
// a unique value freed and taken again, from concurrent sessions in
// random interleavings; the replica must end equal, with no stale row and
// no duplicate-key error.
func TestKeySwaps(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, swapSchema)
	for i := 1; i <= 40; i++ {
		e2e.MustExec(t, sdb, "INSERT INTO shop.u VALUES (?, ?, 0)", i, fmt.Sprint("k", i))
	}
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.u")

	var wg sync.WaitGroup
	var mu sync.Mutex
	done := map[int]int{}
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(seed))
			for n := 0; n < 60; n++ {
				a, b := 1+rnd.Intn(40), 1+rnd.Intn(40)
				if k := rnd.Intn(3); a != b && swapOnce(t, sdb, k, a, b) {
					mu.Lock()
					done[k]++
					mu.Unlock()
				}
			}
		}(int64(w))
	}
	wg.Wait()
	t.Logf("committed: %d unique-key swaps, %d primary-key swaps, %d unique values freed and taken", done[0], done[1], done[2])
	if done[0] < 10 || done[1] < 10 || done[2] < 10 {
		t.Fatalf("too few swaps committed to test anything: %v", done)
	}
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.u")
	if strings.Contains(p.Log(), "Duplicate entry") {
		t.Errorf("the sink hit a duplicate-key error:\n%s", e2e.Tail(p.Log(), 20))
	}
}

// swapOnce swaps rows a and b in one transaction: their unique values
// through a temporary one (kind 0), their primary keys (kind 1), or
// deletes a, gives its unique value to b and inserts a again with a new
// one (kind 2). A deadlock or a row another session moved away rolls the
// transaction back.
func swapOnce(t testing.TB, db *sql.DB, kind, a, b int) bool {
	tx, err := db.Begin()
	if err != nil {
		t.Error(err)
		return false
	}
	defer tx.Rollback()
	var ua, ub string
	if tx.QueryRow("SELECT u FROM shop.u WHERE id = ? FOR UPDATE", a).Scan(&ua) != nil ||
		tx.QueryRow("SELECT u FROM shop.u WHERE id = ? FOR UPDATE", b).Scan(&ub) != nil {
		return false
	}
	var stmts [][]any
	switch kind {
	case 0:
		stmts = [][]any{
			{"UPDATE shop.u SET u = CONCAT('tmp', id), v = v + 1 WHERE id = ?", a},
			{"UPDATE shop.u SET u = ?, v = v + 1 WHERE id = ?", ua, b},
			{"UPDATE shop.u SET u = ?, v = v + 1 WHERE id = ?", ub, a},
		}
	case 1:
		stmts = [][]any{
			{"UPDATE shop.u SET id = 1000 + id WHERE id = ?", a},
			{"UPDATE shop.u SET id = ? WHERE id = ?", a, b},
			{"UPDATE shop.u SET id = ? WHERE id = 1000 + ?", b, a},
		}
	case 2:
		stmts = [][]any{
			{"DELETE FROM shop.u WHERE id = ?", a},
			{"UPDATE shop.u SET u = ?, v = v + 1 WHERE id = ?", ua, b},
			{"INSERT INTO shop.u VALUES (?, ?, 7)", a, ub},
		}
	}
	for _, q := range stmts {
		if _, err := tx.Exec(q[0].(string), q[1:]...); err != nil {
			return false // a deadlock or a conflict with another session: rolled back
		}
	}
	return tx.Commit() == nil
}

// TestRowOverMessageLimit: a change larger than kafka.max_message_bytes
// stops the source with an error naming the table, the key and the binlog
// position; the change is not dropped: with the limit raised it arrives.
func TestRowOverMessageLimit(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.KVSchema)
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv VALUES (1, 'small', 'x', 1)")
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, "  partitions: 3\n", "  partitions: 3\n  max_message_bytes: 65536\n")
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv VALUES (2, 'big', REPEAT('z', 60000), 2)")
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv VALUES (3, 'after', NULL, 3)")
	e2e.ExpectStop(t, p, "shop.kv", `key {"id":2}`, "over kafka.max_message_bytes 65536", "row 0")
	var n int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM shop.kv WHERE id >= 2").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows at or after the refused change reached the replica: %d, %v", n, err)
	}
	e2e.EditConfig(t, cfg, "max_message_bytes: 65536", "max_message_bytes: 1048576")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
}

// TestLargeTransactionStreamed: a transaction over the sink's streaming
// threshold (20000 rows) is read from its partitions while it is applied;
// inserts, updates, key changes and deletes of the same rows within it
// must apply in source order, and the replica must never show part of it.
func TestLargeTransactionStreamed(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, e2e.KVSchema)
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv VALUES (0, 'first', NULL, 0)")
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	tx, err := sdb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	e2e.MustExec(t, tx, "INSERT INTO shop.kv SELECT seq, CONCAT('v', seq), NULL, seq FROM shop.seq_1_to_21000")
	e2e.MustExec(t, tx, "UPDATE shop.kv SET n = n + 1, v = 'updated' WHERE id % 7 = 0")
	e2e.MustExec(t, tx, "UPDATE shop.kv SET id = id + 100000 WHERE id % 11 = 0")
	e2e.MustExec(t, tx, "DELETE FROM shop.kv WHERE id % 13 = 0")
	e2e.MustExec(t, tx, "INSERT INTO shop.kv VALUES (13, 'again', 'b', 13)")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := sdb.QueryRow("SELECT COUNT(*) FROM shop.kv").Scan(&want); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for n := 1; n != want; {
		if time.Now().After(deadline) {
			t.Fatalf("replica has %d of %d rows:\n%s", n, want, e2e.Tail(p.Log(), 20))
		}
		time.Sleep(20 * time.Millisecond)
		if err := ddb.QueryRow("SELECT COUNT(*) FROM shop.kv").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 && n != want {
			t.Fatalf("the replica shows part of the transaction: %d rows of %d", n, want)
		}
	}
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.kv")
}
