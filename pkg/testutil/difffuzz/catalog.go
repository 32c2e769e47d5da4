package difffuzz

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// Column is one column of a table as the source server reports it.
type Column struct {
	Name      string
	DataType  string // information_schema DATA_TYPE: int, varchar, enum, ...
	Type      string // COLUMN_TYPE: int(10) unsigned, enum('a','b'), ...
	Nullable  bool
	Generated bool // virtual or persistent: never written
	AutoInc   bool
	Charset   string
}

// Table is one table of the fuzzed databases.
type Table struct {
	DB, Name string
	Columns  []Column
	Key      []string // primary key columns; empty for a keyless table
	Sequence bool
}

// Writable returns the columns a statement may set.
func (t *Table) Writable() []Column {
	var out []Column
	for _, c := range t.Columns {
		if !c.Generated {
			out = append(out, c)
		}
	}
	return out
}

// Catalog is the generator's view of the source: the databases and
// tables of the fuzzed selection (and of Other), read from the server.
type Catalog struct {
	DBs    []string
	Tables []*Table
}

// ReadCatalog reads the databases that start with Prefix, and Other,
// with their tables, columns and keys.
func ReadCatalog(ctx context.Context, db *sql.DB) (*Catalog, error) {
	c := &Catalog{}
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? OR SCHEMA_NAME = ? ORDER BY SCHEMA_NAME", Prefix+"%", Other)
	if err != nil {
		return nil, fmt.Errorf("read databases: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		c.DBs = append(c.DBs, name)
	}
	rows.Close()
	byName := map[string]*Table{}
	rows, err = db.QueryContext(ctx, `SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE,
  c.IS_NULLABLE, c.EXTRA, COALESCE(c.CHARACTER_SET_NAME, ''), c.COLUMN_KEY
FROM information_schema.TABLES t JOIN information_schema.COLUMNS c USING (TABLE_SCHEMA, TABLE_NAME)
WHERE (t.TABLE_SCHEMA LIKE ? OR t.TABLE_SCHEMA = ?) ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME, c.ORDINAL_POSITION`, Prefix+"%", Other)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dbName, tName, tType, nullable, extra, key string
		var col Column
		if err := rows.Scan(&dbName, &tName, &tType, &col.Name, &col.DataType, &col.Type, &nullable, &extra, &col.Charset, &key); err != nil {
			return nil, err
		}
		t := byName[dbName+"."+tName]
		if t == nil {
			t = &Table{DB: dbName, Name: tName, Sequence: tType == "SEQUENCE"}
			byName[dbName+"."+tName] = t
			c.Tables = append(c.Tables, t)
		}
		col.Nullable = nullable == "YES"
		extra = strings.ToUpper(extra)
		col.Generated = strings.Contains(extra, "GENERATED") || strings.Contains(extra, "VIRTUAL") || strings.Contains(extra, "PERSISTENT") || strings.Contains(extra, "STORED")
		col.AutoInc = strings.Contains(extra, "AUTO_INCREMENT")
		t.Columns = append(t.Columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	keys, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS
WHERE INDEX_NAME = 'PRIMARY' AND (TABLE_SCHEMA LIKE ? OR TABLE_SCHEMA = ?) ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX`, Prefix+"%", Other)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	defer keys.Close()
	for keys.Next() {
		var d, tn, col string
		if err := keys.Scan(&d, &tn, &col); err != nil {
			return nil, err
		}
		if t := byName[d+"."+tn]; t != nil {
			t.Key = append(t.Key, col)
		}
	}
	sort.SliceStable(c.Tables, func(i, j int) bool {
		return c.Tables[i].DB+"\x00"+c.Tables[i].Name < c.Tables[j].DB+"\x00"+c.Tables[j].Name
	})
	return c, keys.Err()
}

// Selected returns the tables of the fuzzed selection (not Other's), and
// not sequences when withSeq is false.
func (c *Catalog) Selected(withSeq bool) []*Table {
	var out []*Table
	for _, t := range c.Tables {
		if t.DB != Other && (withSeq || !t.Sequence) {
			out = append(out, t)
		}
	}
	return out
}
