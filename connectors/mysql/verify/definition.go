package verify

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// A table's definition is compared before its rows: the row hash reads
// every value as bytes, so the same bytes in a latin1 column on one side
// and a utf8mb4 column on the other would hash equal while the replica
// holds other text. A definition difference is reported as a difference
// with both definitions and the statement that fixes it; --repair
// rewrites rows only, never definitions.

// tableCollation is the table's default collation (information_schema
// TABLES.TABLE_COLLATION): the character set and collation a column added
// later without its own gets.
func tableCollation(ctx context.Context, db *sql.DB, schema, table string) (string, error) {
	var co sql.NullString
	err := db.QueryRowContext(ctx, "SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		schema, table).Scan(&co)
	if err != nil {
		return "", fmt.Errorf("table collation of %s.%s: %w", schema, table, err)
	}
	return co.String, nil
}

// tableDef is one side's definition as verify compares it.
type tableDef struct {
	def       *event.TableDef
	collation string // the table's default collation
}

// columnDef is a column's definition in the terms that decide its stored
// values: type, character set and collation, nullability, generation.
func columnDef(c *event.Column) string {
	s := c.ColumnType
	if c.Charset != "" {
		s += " CHARACTER SET " + c.Charset
	}
	if c.Collation != "" {
		s += " COLLATE " + c.Collation
	}
	if c.Generated != "" {
		kind := "VIRTUAL"
		if c.Stored {
			kind = "STORED"
		}
		s += " AS (" + c.Generated + ") " + kind
	}
	if c.Nullable {
		return s + " NULL"
	}
	return s + " NOT NULL"
}

// definitionsDiffer describes how the definitions of src and rep differ,
// with the statement to run on the replica when it can be given, or "".
// rname is the replica table, quoted.
func definitionsDiffer(src, rep tableDef, rname string) string {
	names := func(d *event.TableDef) string {
		parts := make([]string, len(d.Columns))
		for i := range d.Columns {
			parts[i] = d.Columns[i].Name
		}
		return strings.Join(parts, ", ")
	}
	pk := func(d *event.TableDef) string { return strings.Join(d.PrimaryKey, ", ") }
	if names(src.def) != names(rep.def) || pk(src.def) != pk(rep.def) {
		return fmt.Sprintf("columns differ: source (%s) primary key (%s), replica (%s) primary key (%s)",
			names(src.def), pk(src.def), names(rep.def), pk(rep.def))
	}
	var diffs, fixes []string
	if src.collation != rep.collation {
		diffs = append(diffs, fmt.Sprintf("table default collation: source %s, replica %s", src.collation, rep.collation))
		fixes = append(fixes, fmt.Sprintf("DEFAULT CHARACTER SET %s COLLATE %s", charsetOf(src.collation), src.collation))
	}
	for i := range src.def.Columns {
		s, r := &src.def.Columns[i], &rep.def.Columns[i]
		a, b := columnDef(s), columnDef(r)
		if a == b {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("column %s: source %s, replica %s", dbconn.QuoteIdent(s.Name), a, b))
		fixes = append(fixes, "MODIFY "+modifyClause(src.def.CreateSQL, s))
	}
	if len(diffs) == 0 {
		return ""
	}
	return "definitions differ: " + strings.Join(diffs, "; ") +
		"; rows not compared (--repair rewrites rows, not definitions): on the replica run ALTER TABLE " + rname + " " +
		strings.Join(fixes, ", ") + ", then sluice verify --repair"
}

// charsetOf is the character set a collation name belongs to (the part
// before the first '_').
func charsetOf(collation string) string {
	cs, _, _ := strings.Cut(collation, "_")
	return cs
}

// modifyClause is the source's definition of column c for ALTER TABLE ...
// MODIFY: its line of SHOW CREATE TABLE (defaults, comments and all) with
// the character set and collation spelt out, since SHOW CREATE TABLE omits
// the ones equal to the table's defaults, which the replica may not share.
// Without that line it is columnDef.
func modifyClause(createSQL string, c *event.Column) string {
	prefix := dbconn.QuoteIdent(c.Name) + " " + c.ColumnType
	for _, line := range strings.Split(createSQL, "\n") {
		line = strings.TrimSuffix(strings.TrimSpace(line), ",")
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok || rest != "" && rest[0] != ' ' {
			continue
		}
		if c.Charset == "" {
			return line
		}
		for _, kw := range []string{" CHARACTER SET ", " COLLATE "} {
			if after, ok := strings.CutPrefix(rest, kw); ok {
				_, rest, _ = strings.Cut(after, " ")
				rest = " " + rest
			}
		}
		return strings.TrimRight(prefix+" CHARACTER SET "+c.Charset+" COLLATE "+c.Collation+rest, " ")
	}
	return dbconn.QuoteIdent(c.Name) + " " + columnDef(c)
}
