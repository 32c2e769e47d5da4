package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// Filter matches "db.table" names against the configured patterns.
type Filter []string

// Match reports whether db.table is selected. System schemas never are,
// nor databases whose names hold a '.' (Refused).
func (f Filter) Match(db, table string) bool {
	return !strings.Contains(db, ".") && f.patterns(db, table)
}

// Refused reports whether db.table matches the patterns but cannot be
// selected: a '.' in the database name makes its "db.table" name, by which
// schema history, markers, signals and sinks name tables, ambiguous with
// other tables' (`x.y`.`z` and `x`.`y.z`). The source quarantines such
// tables, loudly, instead of capturing them.
func (f Filter) Refused(db, table string) bool {
	return strings.Contains(db, ".") && f.patterns(db, table)
}

func (f Filter) patterns(db, table string) bool {
	switch strings.ToLower(db) {
	case "mysql", "information_schema", "performance_schema", "sys":
		return false
	}
	for _, p := range f {
		dp, tp, ok := strings.Cut(p, ".")
		if !ok {
			continue
		}
		if m, _ := path.Match(dp, db); !m {
			continue
		}
		if m, _ := path.Match(tp, table); m {
			return true
		}
	}
	return false
}

// ListTables returns the selected base tables, sorted.
func ListTables(ctx context.Context, db *sql.DB, f Filter) ([][2]string, error) {
	return listTables(ctx, db, "", f.Match)
}

// RefusedTables returns the base tables the patterns match that Refused
// refuses, sorted.
func RefusedTables(ctx context.Context, db *sql.DB, f Filter) ([][2]string, error) {
	return listTables(ctx, db, " AND TABLE_SCHEMA LIKE '%.%'", f.Refused)
}

// listTables returns the base tables (narrowed by the SQL condition and)
// kept by keep, sorted.
func listTables(ctx context.Context, db *sql.DB, cond string, keep func(db, table string) bool) ([][2]string, error) {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_TYPE = 'BASE TABLE'`+cond) // sorted below: no server-side sort of an information_schema table (fk.go)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var d, t string
		if err := rows.Scan(&d, &t); err != nil {
			return nil, err
		}
		if keep(d, t) {
			out = append(out, [2]string{d, t})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] || out[i][0] == out[j][0] && out[i][1] < out[j][1] })
	return out, rows.Err()
}

// TableExists reports whether the server has base table db.table.
func TableExists(ctx context.Context, db *sql.DB, schema, table string) (bool, error) {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'`, schema, table).Scan(&n)
	return n > 0, err
}

// LoadTable reads a table's definition from information_schema. A table
// without a primary key has an empty PrimaryKey unless unique_key_tables
// keys it (keyless.go).
func LoadTable(ctx context.Context, db *sql.DB, schema, table string) (*event.TableDef, error) {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE,
		COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, ''),
		COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, DATETIME_PRECISION, 0),
		COLUMN_DEFAULT, COALESCE(GENERATION_EXPRESSION, ''), EXTRA, COLUMN_KEY
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`, schema, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	def := &event.TableDef{DB: schema, Table: table}
	for rows.Next() {
		var c event.Column
		var nullable, extra, key string
		var def0 sql.NullString
		if err := rows.Scan(&c.Name, &c.DataType, &c.ColumnType, &nullable, &c.Charset, &c.Collation,
			&c.Precision, &c.Scale, &def0, &c.Generated, &extra, &key); err != nil {
			return nil, err
		}
		c.DataType = strings.ToLower(c.DataType)
		c.Nullable = nullable == "YES"
		if def0.Valid {
			c.Default = &def0.String
		}
		x := strings.ToUpper(extra)
		c.Stored = strings.Contains(x, "STORED GENERATED") || strings.Contains(x, "PERSISTENT")
		if c.Generated == "" && (c.Stored || strings.Contains(x, "VIRTUAL")) {
			c.Generated = "?"
		}
		value.DescribeColumn(&c)
		def.Columns = append(def.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(def.Columns) == 0 {
		return nil, fmt.Errorf("table %s.%s not found", schema, table)
	}
	pk, err := PrimaryKey(ctx, db, schema, table)
	if err != nil {
		return nil, err
	}
	if len(pk) == 0 {
		if pk, err = KeylessKey(ctx, db, schema, table); err != nil { // keyless.go: unique_key_tables
			return nil, err
		}
	}
	def.PrimaryKey = pk
	var name string
	if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+dbconn.QuoteTable(schema, table)).Scan(&name, &def.CreateSQL); err != nil {
		return nil, fmt.Errorf("show create table %s.%s: %w", schema, table, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		schema).Scan(&def.DBCharset, &def.DBCollation); err != nil {
		return nil, fmt.Errorf("read the default character set of database %s: %w", schema, err)
	}
	return def, nil
}

// PrimaryKey returns the primary-key columns of schema.table, in key order.
func PrimaryKey(ctx context.Context, db *sql.DB, schema, table string) ([]string, error) {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, SEQ_IN_INDEX FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'`, schema, table)
	if err != nil {
		return nil, fmt.Errorf("read primary key of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	type col struct {
		name string
		seq  int
	}
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.name, &c.seq); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].seq < cols[j].seq })
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out, rows.Err()
}

// BinlogColumns returns the indexes of the columns present in a binlog row
// image with n columns: all of them, or all but virtual generated columns
// (which some servers leave out).
func BinlogColumns(def *event.TableDef, n int) ([]int, bool) {
	all := make([]int, 0, len(def.Columns))
	stored := make([]int, 0, len(def.Columns))
	for i, c := range def.Columns {
		all = append(all, i)
		if c.Generated == "" || c.Stored {
			stored = append(stored, i)
		}
	}
	switch n {
	case len(all):
		return all, true
	case len(stored):
		return stored, true
	}
	return nil, false
}

// IsGlob reports whether s holds a path.Match pattern character.
func IsGlob(s string) bool { return strings.ContainsAny(s, `*?[\`) }
