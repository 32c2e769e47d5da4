package e2e

import (
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// AccountsSchema is the fixture of the fault tests: accounts whose version
// grows with every update, and a ledger of one row per update. A replica
// that applies an update twice or out of order moves an account back to
// an older version, which AuditTrigger records.
const AccountsSchema = `CREATE DATABASE shop;
CREATE TABLE shop.accounts (id INT PRIMARY KEY, version BIGINT NOT NULL, balance BIGINT NOT NULL, note VARCHAR(64) NULL);
CREATE TABLE shop.ledger (id BIGINT PRIMARY KEY, account INT NOT NULL, delta BIGINT NOT NULL)`

// AuditTrigger, run on the replica after AccountsSchema, records in
// audit.regressions every update that moves an account to an older
// version (the per-key order invariant).
const AuditTrigger = `CREATE DATABASE audit;
CREATE TABLE audit.regressions (id INT, old_version BIGINT, new_version BIGINT);
CREATE TRIGGER shop.accounts_no_regress AFTER UPDATE ON shop.accounts FOR EACH ROW
  INSERT INTO audit.regressions SELECT NEW.id, OLD.version, NEW.version FROM DUAL WHERE NEW.version < OLD.version`

// SetupAccounts creates AccountsSchema on src and, with AuditTrigger, on
// replica, and inserts accounts 1 to n (version 0, balance 1000) on src.
func SetupAccounts(t testing.TB, src, replica *sql.DB, n int) {
	t.Helper()
	ExecAll(t, src, AccountsSchema)
	ExecAll(t, replica, AccountsSchema+";\n"+AuditTrigger)
	for i := 1; i <= n; i += 1000 {
		var b strings.Builder
		for j := i; j < i+1000 && j <= n; j++ {
			if j > i {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(%d, 0, 1000, NULL)", j)
		}
		MustExec(t, src, "INSERT INTO shop.accounts VALUES "+b.String())
	}
}

// CheckNoRegressions fails the test if AuditTrigger recorded an update
// that moved an account back to an older version on replica.
func CheckNoRegressions(t testing.TB, replica *sql.DB) {
	t.Helper()
	var regressions int
	if err := replica.QueryRow("SELECT COUNT(*) FROM audit.regressions").Scan(&regressions); err != nil {
		t.Fatal(err)
	}
	if regressions > 0 {
		t.Errorf("%d updates moved an account back to an older version on the replica", regressions)
	}
}

// AccountsWorkload commits multi-statement transactions (one to five
// pairs of an account update and a ledger insert; one in twenty rolled
// back, which must never reach a replica) over accounts 1 to accounts,
// about 40 a second, until stop is closed, and returns how many it
// committed. It rides out errors (a server restarting under it) by
// logging them and going on; ledger ids continue from the table's highest.
func AccountsWorkload(t testing.TB, db *sql.DB, accounts int, stop chan struct{}) int {
	rng := rand.New(rand.NewSource(7))
	n := 0
	ledger := MaxID(t, db, "shop.ledger") // a later run continues the ids
	for {
		select {
		case <-stop:
			return n
		default:
		}
		tx, err := db.Begin()
		if err != nil {
			t.Logf("begin: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for k := 0; k < 1+rng.Intn(5); k++ {
			a := 1 + rng.Intn(accounts)
			d := int64(rng.Intn(100) - 50)
			ledger++
			if _, err = tx.Exec("UPDATE shop.accounts SET version = version + 1, balance = balance + ?, note = ? WHERE id = ?", d, fmt.Sprintf("tx %d", n), a); err == nil {
				_, err = tx.Exec("INSERT INTO shop.ledger VALUES (?, ?, ?)", ledger, a, d)
			}
			if err != nil {
				break
			}
		}
		if err != nil {
			t.Logf("workload: %v", err)
			_ = tx.Rollback()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if rng.Intn(20) == 0 {
			_ = tx.Rollback() // rolled back: must never reach the replica
			continue
		}
		if err := tx.Commit(); err != nil {
			t.Logf("commit: %v (the replica is compared with what the source has)", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		n++
		time.Sleep(time.Duration(10+rng.Intn(20)) * time.Millisecond) // about 40 tx/s: recovery, not backlog, is measured
	}
}

// AccountsRoundRobin commits transactions that each bump one account's
// version (accounts 1 to 200 in turn) and add a ledger row with ids from
// 1, every 2 ms, until stop is closed, and returns how many. An error
// fails the test and ends the workload.
func AccountsRoundRobin(t testing.TB, db *sql.DB, stop chan struct{}) int {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return n
		default:
		}
		tx, err := db.Begin()
		if err == nil {
			a := 1 + n%200
			if _, err = tx.Exec("UPDATE shop.accounts SET version = version + 1, balance = balance + 1, note = ? WHERE id = ?", fmt.Sprint("tx ", n), a); err == nil {
				_, err = tx.Exec("INSERT INTO shop.ledger VALUES (?, ?, 1)", n+1, a)
			}
			if err == nil {
				err = tx.Commit()
			}
		}
		if err != nil {
			t.Errorf("workload: %v", err)
			return n
		}
		time.Sleep(2 * time.Millisecond)
	}
}
