package e2e

import (
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TxRowsSchema is the table of the source fault tests: every transaction
// writes size rows under one tx id, so a replica that ever shows a tx id
// with fewer rows than its size has shown a partial transaction
// (WatchPartial looks for one).
const TxRowsSchema = `CREATE DATABASE shop;
CREATE TABLE shop.txrows (tx INT NOT NULL, n INT NOT NULL, size INT NOT NULL, pad VARCHAR(200) NOT NULL, PRIMARY KEY (tx, n))`

// PartialWatch polls a replica table for tx ids with a partial row count.
type PartialWatch struct {
	quit   chan struct{}
	done   chan struct{}
	checks int
	bad    string
}

// WatchPartial checks every 20 ms, until Stop, that each tx id of table
// (of TxRowsSchema) has either no rows or all size of them on db.
func WatchPartial(t testing.TB, db *sql.DB, table string) *PartialWatch {
	w := &PartialWatch{quit: make(chan struct{}), done: make(chan struct{})}
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

// Stop ends the polling and returns how many checks ran and the first
// partial transaction seen ("" when none).
func (w *PartialWatch) Stop() (checks int, bad string) {
	close(w.quit)
	<-w.done
	return w.checks, w.bad
}

// TxWorkload commits transactions into shop.txrows (TxRowsSchema) in the
// background.
type TxWorkload struct {
	quit chan struct{}
	done chan struct{}
	last atomic.Int64
}

// StartTxWorkload commits transactions of rows one-row statements, tx ids
// from first up, pausing pause after each, until Stop. A transaction that
// fails (the server restarting) is retried under the same id after 100
// ms: it is either all there or not at all.
func StartTxWorkload(t testing.TB, db *sql.DB, first, rows int, pause time.Duration) *TxWorkload {
	w := &TxWorkload{quit: make(chan struct{}), done: make(chan struct{})}
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

// Committed returns the tx id of the last committed transaction.
func (w *TxWorkload) Committed() int { return int(w.last.Load()) }

// Stop ends the workload and returns Committed.
func (w *TxWorkload) Stop() int {
	close(w.quit)
	<-w.done
	return w.Committed()
}
