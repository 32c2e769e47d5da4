package source

import "testing"

func TestStatementNames(t *testing.T) {
	for _, c := range []struct {
		q, table string
		want     bool
	}{
		{"ALTER TABLE shop.base ADD INDEX (s)", "base", true},
		{"ALTER TABLE `base` ADD INDEX (s)", "base", true},
		{"CREATE TABLE other.t (id INT PRIMARY KEY, v INT DEFAULT (1 + 1))", "base", false},
		{"CREATE TABLE other.database_base (id INT)", "base", false},
		{"ALTER TABLE base_2 ADD c INT", "base", false},
	} {
		if got := statementNames(c.q, c.table); got != c.want {
			t.Errorf("statementNames(%q, %q) = %v, want %v", c.q, c.table, got, c.want)
		}
	}
}
