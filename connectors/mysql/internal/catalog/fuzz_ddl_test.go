package catalog

import (
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// FuzzDDL feeds arbitrary statements, as a source's binlog could hold, to
// the DDL parser and to the schema history that applies them: neither may
// panic (a panic would stop the source for good), and a statement either
// applies or returns an error. Seeds beyond these are in
// testdata/fuzz/FuzzDDL/; all run in every `go test`.
func FuzzDDL(f *testing.F) {
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, `a``b` VARCHAR(10) CHARACTER SET utf8mb4, `ü'\"` INT)",
		"ALTER TABLE t ADD COLUMN c INT AFTER id, DROP COLUMN a, MODIFY b TEXT, RENAME COLUMN x TO y",
		"ALTER ONLINE TABLE t ADD INDEX i (b(3)), ALGORITHM=NOCOPY",
		"CREATE OR REPLACE TABLE t2 LIKE t",
		"RENAME TABLE t TO shop2.`x``y`, a TO b",
		"DROP TABLE IF EXISTS t, `odd``t'b\"ü`",
		"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, c)",
		"CREATE TABLE t3 (id INT, g INT AS (id + 1) VIRTUAL, PRIMARY KEY (id)) DEFAULT CHARSET latin1",
		"TRUNCATE TABLE t",
		"CREATE DATABASE shop3 CHARACTER SET utf8mb4; DROP DATABASE shop3",
		"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		stmts, err := ParseSQL(q)
		if err != nil {
			return
		}
		ss := NewState(Filter{"shop.*", "shop2.*"}, true, map[string]*event.TableDef{})
		ss.ServerCharset = "latin1"
		if base, err := ParseSQL("CREATE TABLE t (id INT NOT NULL, a VARCHAR(10), b DECIMAL(10,2), PRIMARY KEY (id))"); err == nil {
			_, _ = ss.Apply(base[0], "shop")
		}
		for _, s := range stmts {
			_, _ = ss.Apply(s, "shop")
		}
	})
}
