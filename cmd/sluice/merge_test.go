package main

import (
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

const mergeSchema = `CREATE DATABASE shop;
CREATE TABLE shop.k (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40) NOT NULL);
CREATE TABLE shop.u (id INT PRIMARY KEY, u INT NULL, v INT NOT NULL, UNIQUE KEY (u));
CREATE TABLE shop.e (id INT PRIMARY KEY, email VARCHAR(40) NOT NULL, v INT NOT NULL, UNIQUE KEY (email));
CREATE TABLE shop.c (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT NOT NULL, PRIMARY KEY (a, b))`

// TestSinkMergeBacklog: a backlog of small transactions that hit the same
// few keys over and over (updated many times, deleted and inserted again,
// primary keys changed, unique values moved from one row to another,
// within one transaction and across transactions, with case-insensitive
// text unique keys and a composite key) is applied by a sink started
// after all of it was written, so it groups many source transactions per
// replica commit and merges their rows; every table must end equal to
// the source, row for row.
func TestSinkMergeBacklog(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, mergeSchema)
	for i := 1; i <= 40; i++ {
		e2e.MustExec(t, sdb, "INSERT INTO shop.k VALUES (?, 0, 'seed')", i)
		e2e.MustExec(t, sdb, "INSERT INTO shop.u VALUES (?, ?, 0)", i, i)
		e2e.MustExec(t, sdb, "INSERT INTO shop.e VALUES (?, ?, 0)", i, fmt.Sprintf("User%d@x", i))
		e2e.MustExec(t, sdb, "INSERT INTO shop.c VALUES (?, ?, 0)", i%5, fmt.Sprint("b", i))
	}
	dir := t.TempDir()
	cfg, _ := e2e.WriteConfig(t, dir, src, dst, true)
	srcAdmin, sinkAdmin := e2e.FreeAddr(t), e2e.FreeAddr(t)
	broker := e2e.StartBroker(t, cfg)
	source := e2e.StartConnector(t, "source.log", cfg, "src", srcAdmin)

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source log:\n%s", e2e.Tail(source.Log(), 30))
		}
	})
	e2e.WaitFor(t, 60*time.Second, "the source to stream the binlog", func() bool {
		return strings.Contains(source.Log(), "streaming binlog")
	})
	rnd := rand.New(rand.NewSource(7))
	done := map[string]int{}
	const txs = 2500
	for n := 0; n < txs; n++ {
		mergeTx(t, sdb, rnd, done)
	}
	t.Logf("source: %d transactions; statements that changed rows: %v", txs, done)
	for _, k := range []string{"k.update", "k.delete", "k.insert", "k.pk", "u.move", "u.swap", "u.retake", "e.move", "c.pk"} {
		if done[k] < 20 {
			t.Fatalf("too few %s statements changed rows to test anything: %v", k, done)
		}
	}
	// Transactions whose statements changed nothing are not in the binlog:
	// the backlog is published once the source's count stops growing.
	last := -1.0
	e2e.WaitFor(t, 60*time.Second, "the source to publish the backlog", func() bool {
		time.Sleep(time.Second)
		n := e2e.MetricValue(e2e.HTTPGet(t, "http://"+srcAdmin+"/metrics"), "sluice_source_transactions_total")
		stable := n == last && n > txs/2
		last = n
		return stable
	})

	sink := e2e.StartConnector(t, "sink.log", cfg, "replica-1", sinkAdmin)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{broker, source, sink}, "shop.k", "shop.u", "shop.e", "shop.c")
	m := e2e.HTTPGet(t, "http://"+sinkAdmin+"/metrics")
	applied, commits := e2e.MetricValue(m, "sluice_sink_transactions_total"), e2e.MetricValue(m, "sluice_sink_commits_total")
	t.Logf("sink: %.0f source transactions in %.0f replica commits", applied, commits)
	if commits == 0 || applied/commits < 10 {
		t.Errorf("the backlog was not grouped: %.0f source transactions in %.0f replica commits", applied, commits)
	}
	if strings.Contains(sink.Log(), "Duplicate entry") {
		t.Errorf("the sink hit a duplicate-key error:\n%s", e2e.Tail(sink.Log(), 20))
	}
}

// mergeTx runs one source transaction of one to three random statements
// on the few keys of mergeSchema, counting in done those that changed rows.
func mergeTx(t *testing.T, db *sql.DB, rnd *rand.Rand, done map[string]int) {
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(kind, q string, args ...any) {
		res, err := tx.Exec(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			done[kind]++
		}
	}
	id := func() int { return 1 + rnd.Intn(50) }
	for s := 0; s <= rnd.Intn(3); s++ {
		a, b := id(), id()
		switch rnd.Intn(12) {
		case 0, 1:
			exec("k.update", "UPDATE shop.k SET v = v + 1, note = ? WHERE id = ?", fmt.Sprint("n", rnd.Intn(1000)), a)
		case 2:
			exec("k.delete", "DELETE FROM shop.k WHERE id = ?", a)
		case 3:
			exec("k.insert", "INSERT INTO shop.k VALUES (?, ?, 'ins') ON DUPLICATE KEY UPDATE v = v + 100", a, rnd.Intn(1000))
		case 4:
			exec("k.pk", "UPDATE IGNORE shop.k SET id = ? WHERE id = ?", b, a)
		case 5: // free a's unique value; b takes it, in this transaction or a later one
			var ua sql.NullInt64
			if tx.QueryRow("SELECT u FROM shop.u WHERE id = ?", a).Scan(&ua) == nil && ua.Valid {
				exec("u.free", "UPDATE shop.u SET u = NULL WHERE id = ?", a)
				if rnd.Intn(2) == 0 {
					exec("u.move", "UPDATE IGNORE shop.u SET u = ? WHERE id = ?", ua.Int64, b)
				}
			}
			exec("u.move", "UPDATE IGNORE shop.u SET u = ? WHERE id = ? AND u IS NULL", rnd.Intn(60), b)
		case 6: // swap two unique values through NULL
			var ua, ub sql.NullInt64
			if a != b && tx.QueryRow("SELECT u FROM shop.u WHERE id = ?", a).Scan(&ua) == nil &&
				tx.QueryRow("SELECT u FROM shop.u WHERE id = ?", b).Scan(&ub) == nil {
				exec("u.swap", "UPDATE shop.u SET u = NULL WHERE id = ?", a)
				exec("u.swap", "UPDATE shop.u SET u = ? WHERE id = ?", ua, b)
				exec("u.swap", "UPDATE shop.u SET u = ? WHERE id = ?", ub, a)
			}
		case 7: // delete a row, another key takes its unique value
			var ua sql.NullInt64
			if tx.QueryRow("SELECT u FROM shop.u WHERE id = ?", a).Scan(&ua) == nil && ua.Valid {
				exec("u.delete", "DELETE FROM shop.u WHERE id = ?", a)
				exec("u.retake", "INSERT IGNORE INTO shop.u VALUES (?, ?, 1)", 100+rnd.Intn(50), ua.Int64)
			}
			exec("u.insert", "INSERT IGNORE INTO shop.u VALUES (?, ?, 2)", a, rnd.Intn(60))
		case 8: // move an e-mail to another row in another case
			var ea string
			if tx.QueryRow("SELECT email FROM shop.e WHERE id = ?", a).Scan(&ea) == nil {
				exec("e.free", "UPDATE shop.e SET email = ? WHERE id = ?", fmt.Sprintf("tmp%d-%d@x", a, rnd.Intn(1e6)), a)
				exec("e.move", "UPDATE IGNORE shop.e SET email = ? WHERE id = ?", flipCase(ea), b)
			}
		case 9:
			exec("e.upsert", "INSERT INTO shop.e VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE v = v + 1", a, fmt.Sprintf("USER%d@X", rnd.Intn(60)))
		case 10:
			exec("c.pk", "UPDATE IGNORE shop.c SET b = ? WHERE a = ? AND b = ?", fmt.Sprint("b", b), a%5, fmt.Sprint("b", a))
			exec("c.update", "UPDATE shop.c SET v = v + 1 WHERE a = ?", b%5)
		default:
			exec("c.delete", "DELETE FROM shop.c WHERE a = ? AND b = ?", a%5, fmt.Sprint("b", b))
			exec("c.insert", "INSERT IGNORE INTO shop.c VALUES (?, ?, 9)", a%5, fmt.Sprint("b", b))
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// flipCase swaps upper and lower case letters.
func flipCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}
