package e2e

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// ItemsTable returns the CREATE TABLE statement of an items table of the
// snapshot tests: id, label and qty.
func ItemsTable(table string) string {
	return "CREATE TABLE " + table + " (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL)"
}

// FillTable inserts rows [from, to) of an ItemsTable, 5000 a statement.
func FillTable(t testing.TB, db *sql.DB, table string, from, to int) {
	t.Helper()
	for lo := from; lo < to; lo += 5000 {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for i := lo; i < min(lo+5000, to); i++ {
			if i > lo {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, 'item %d', %d)", i, i, i%17)
		}
		MustExec(t, db, b.String())
	}
}
