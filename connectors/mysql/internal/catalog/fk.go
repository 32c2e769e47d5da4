package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// CheckForeignKeys refuses selected tables whose foreign keys change rows
// by themselves: ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT.
// The server applies those actions inside the storage engine and does not
// log them (MariaDB 10.11 and MySQL write the parent's row change, not the
// children's), so the replicas would keep rows the source deleted or
// changed. The sink cannot make up for it: it runs with
// foreign_key_checks=0, under which the replica's own foreign keys do not
// cascade either. RESTRICT and NO ACTION foreign keys are fine: every row
// change they allow is in the binlog. A cascading foreign key added by DDL
// while sluice streams stops the source at that DDL (Change.Cascading).
func CheckForeignKeys(ctx context.Context, db *sql.DB, f Filter) error {
	found, err := cascadingForeignKeys(ctx, db, f)
	if err != nil || len(found) == 0 {
		return err
	}
	lines := make([]string, len(found))
	for i, fk := range found {
		lines[i] = fk.String()
	}
	return CascadingError(lines)
}

const fkFix = "make them ON DELETE RESTRICT ON UPDATE RESTRICT " +
	"(ALTER TABLE ... DROP FOREIGN KEY ..., ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES ... ON DELETE RESTRICT ON UPDATE RESTRICT) " +
	"and delete children explicitly, or leave these tables out of tables:"

// fkCascade is a foreign key of a selected table with a cascading action.
type fkCascade struct {
	DB, Table, Name, RefDB, RefTable, OnDelete, OnUpdate string
}

func (fk fkCascade) String() string {
	return fmt.Sprintf("%s.%s foreign key %s references %s.%s ON DELETE %s ON UPDATE %s",
		fk.DB, fk.Table, dbconn.QuoteIdent(fk.Name), fk.RefDB, fk.RefTable, fk.OnDelete, fk.OnUpdate)
}

// cascadingForeignKeys lists the foreign keys of tables f selects whose ON
// DELETE or ON UPDATE action is not RESTRICT or NO ACTION. It asks one
// schema at a time, without ORDER BY: MariaDB 10.11.19 crashed (segfault in
// the temporary table's cleanup) repeatedly in our runs on the unfiltered,
// sorted query over every schema's REFERENTIAL_CONSTRAINTS.
func cascadingForeignKeys(ctx context.Context, db *sql.DB, f Filter) ([]fkCascade, error) {
	tables, err := ListTables(ctx, db, f) // schema.go
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	var found []fkCascade
	for i, t := range tables {
		if i > 0 && tables[i-1][0] == t[0] {
			continue // one query per schema
		}
		rows, err := db.QueryContext(ctx, `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME,
			UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE
			FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`, t[0])
		if err != nil {
			return nil, fmt.Errorf("read foreign keys of %s: %w", t[0], err)
		}
		for rows.Next() {
			var fk fkCascade
			if err := rows.Scan(&fk.DB, &fk.Table, &fk.Name, &fk.RefDB, &fk.RefTable, &fk.OnDelete, &fk.OnUpdate); err != nil {
				rows.Close()
				return nil, err
			}
			if f.Match(fk.DB, fk.Table) && (!restrictive(fk.OnDelete) || !restrictive(fk.OnUpdate)) {
				found = append(found, fk)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read foreign keys of %s: %w", t[0], err)
		}
	}
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i], found[j]
		return a.DB < b.DB || a.DB == b.DB && (a.Table < b.Table || a.Table == b.Table && a.Name < b.Name)
	})
	return found, nil
}

// restrictive reports whether a referential action leaves the child rows
// alone (the binlog then carries every row change).
func restrictive(rule string) bool { return rule == "RESTRICT" || rule == "NO ACTION" }

// ForeignKeyFindings reports cascading foreign keys for sluice check,
// one error each; Run refuses them (checkForeignKeys).
func ForeignKeyFindings(ctx context.Context, c *dbconn.Checker, db *sql.DB, f Filter) {
	found, err := cascadingForeignKeys(ctx, db, f)
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("foreign keys"), err.Error(), "")
		return
	}
	for _, fk := range found {
		c.Add(connector.SeverityError, c.On("table "+fk.DB+"."+fk.Table),
			fmt.Sprintf("foreign key %s references %s.%s ON DELETE %s ON UPDATE %s: the binlog does not carry the rows its actions change",
				dbconn.QuoteIdent(fk.Name), fk.RefDB, fk.RefTable, fk.OnDelete, fk.OnUpdate), fkFix)
	}
}

// cascadingIn returns, as text for an error, the foreign keys among cons
// (of table db.table, as a CREATE or ALTER TABLE declares them) whose ON
// DELETE or ON UPDATE action changes rows by itself: the ones
// CheckForeignKeys refuses at start, found the moment a DDL adds them.
func cascadingIn(db, table, schema string, cons []*ast.Constraint) []string {
	var out []string
	for _, c := range cons {
		if c == nil || c.Tp != ast.ConstraintForeignKey || c.Refer == nil {
			continue
		}
		del, upd := "RESTRICT", "RESTRICT" // no action given
		if o := c.Refer.OnDelete; o != nil {
			del = referName(o.ReferOpt)
		}
		if o := c.Refer.OnUpdate; o != nil {
			upd = referName(o.ReferOpt)
		}
		if restrictive(del) && restrictive(upd) {
			continue
		}
		rdb, rt := Qualify(c.Refer.Table, schema)
		out = append(out, fkCascade{DB: db, Table: table, Name: c.Name, RefDB: rdb, RefTable: rt, OnDelete: del, OnUpdate: upd}.String())
	}
	return out
}

// referName names a foreign key action as information_schema does.
func referName(t ast.ReferOptionType) string {
	switch t {
	case ast.ReferOptionCascade:
		return "CASCADE"
	case ast.ReferOptionSetNull:
		return "SET NULL"
	case ast.ReferOptionSetDefault:
		return "SET DEFAULT"
	case ast.ReferOptionNoAction:
		return "NO ACTION"
	}
	return "RESTRICT"
}

// CascadingError is the error of a DDL that gave selected tables foreign
// keys with cascading actions, worded as CheckForeignKeys words it at start.
func CascadingError(found []string) error {
	return &connector.Fatal{Err: fmt.Errorf("selected tables have foreign keys whose actions the binlog does not carry "+
		"(the rows they delete or change would stay on the replicas):\n  %s\nfix: %s", strings.Join(found, "\n  "), fkFix)}
}

// CascadingTables returns the tables f selects that have foreign keys with
// cascading actions ("db.table" -> the foreign keys as text), and the fix
// to name with them: the tables a source quarantines instead of refusing.
func CascadingTables(ctx context.Context, db *sql.DB, f Filter) (map[string][]string, string, error) {
	found, err := cascadingForeignKeys(ctx, db, f)
	if err != nil {
		return nil, "", err
	}
	out := map[string][]string{}
	for _, fk := range found {
		name := fk.DB + "." + fk.Table
		out[name] = append(out[name], fk.String())
	}
	return out, fkFix, nil
}
