package e2e

import (
	"bytes"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// Execer is what MustExec runs a statement on: a *sql.DB or a *sql.Tx.
type Execer interface {
	Exec(string, ...any) (sql.Result, error)
}

// MustExec runs q with args and fails the test on an error.
func MustExec(t testing.TB, db Execer, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// ExecAll runs the statements of stmts, separated by ";\n", in order.
func ExecAll(t testing.TB, db *sql.DB, stmts string) {
	t.Helper()
	for _, q := range strings.Split(stmts, ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// SessionExec runs statements on one connection, so session settings
// apply to the statements after them.
func SessionExec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	conn, err := db.Conn(CtxTimeout(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.ExecContext(CtxTimeout(t, time.Minute), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TableRows returns a table's rows ordered by its first column (the
// primary key), each row as its columns' text, quoted, joined by " | ",
// with NULL distinct from ”. table may be a derived table,
// "(SELECT ...) AS x".
func TableRows(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
	if err != nil {
		t.Fatalf("select %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for i, r := range raw {
			if i > 0 {
				b.WriteString(" | ")
			}
			if r == nil {
				b.WriteString("NULL")
			} else {
				fmt.Fprintf(&b, "%q", r)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TablesEqual reports whether table has the same rows on both servers, and
// a description of the first difference.
func TablesEqual(t testing.TB, src, dst *sql.DB, table string) (bool, string) {
	t.Helper()
	a := TableRows(t, src, table)
	b := TableRows(t, dst, table)
	if len(a) != len(b) {
		return false, fmt.Sprintf("%s: %d rows on the source, %d on the replica", table, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return false, fmt.Sprintf("%s row %d:\n source  %s\n replica %s", table, i, a[i], b[i])
		}
	}
	return true, ""
}

// WaitEqual waits until every one of tables exists on the replica and
// has the same rows on both servers; on a timeout it logs the tail of each
// of procs' logs and fails with the first difference.
func WaitEqual(t testing.TB, src, dst *sql.DB, timeout time.Duration, procs []*Proc, tables ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for time.Now().Before(deadline) {
		all := true
		for _, tb := range tables {
			if !HasTable(dst, tb) {
				all, why = false, tb+" missing on the replica"
				break
			}
			ok, w := TablesEqual(t, src, dst, tb)
			if !ok {
				all, why = false, w
				break
			}
		}
		if all {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	LogTails(t, 60, procs...)
	t.Fatalf("replica did not converge within %s: %s", timeout, why)
}

// HasTable reports whether db holds table ("db.table", either part may be
// quoted: "a.`b.c`").
func HasTable(db *sql.DB, table string) bool {
	d, tb, _ := strings.Cut(table, ".")
	d, tb = strings.Trim(d, "`"), strings.Trim(tb, "`")
	var n int
	_ = db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", d, tb).Scan(&n)
	return n == 1
}

// TableCount returns the number of rows of table; an error fails the test
// without stopping it.
func TableCount(t testing.TB, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Errorf("count %s: %v", table, err)
	}
	return n
}

// MaxID returns the highest id of table, 0 when it is empty; an error is
// only logged, since workloads call it while servers restart.
func MaxID(t testing.TB, db *sql.DB, table string) int64 {
	var m sql.NullInt64
	if err := db.QueryRow("SELECT MAX(id) FROM " + table).Scan(&m); err != nil {
		t.Logf("max id of %s: %v", table, err)
	}
	return m.Int64
}

// RowStrings returns the first row of query, whatever its number of
// columns (SHOW statements grow columns across server versions), each
// column as a NullString.
func RowStrings(t testing.TB, db *sql.DB, query string) []sql.NullString {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", query, rows.Err())
	}
	vals, err := sqlscan.Row(rows)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return vals
}

// MasterStatus returns the server's current binlog file and position
// (SHOW MASTER STATUS).
func MasterStatus(t testing.TB, db *sql.DB) (file string, pos int64) {
	t.Helper()
	row := RowStrings(t, db, "SHOW MASTER STATUS")
	if len(row) < 2 {
		t.Fatalf("SHOW MASTER STATUS: %d columns", len(row))
	}
	pos, err := strconv.ParseInt(row[1].String, 10, 64)
	if err != nil {
		t.Fatalf("SHOW MASTER STATUS: position %q: %v", row[1].String, err)
	}
	return row[0].String, pos
}

// WaitRowCount polls db every 20 ms until table exists and holds at least
// n rows; on a timeout it fails with the tail of each of procs' logs.
func WaitRowCount(t testing.TB, db *sql.DB, table string, n int, timeout time.Duration, procs ...*Proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	c := 0
	for time.Now().Before(deadline) {
		if HasTable(db, table) {
			_ = db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&c)
		}
		if c >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	LogTails(t, 30, procs...)
	t.Fatalf("%s has %d rows on the replica after %s, want at least %d", table, c, timeout, n)
}
