package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
)

// Tables without a primary key replicate the way MySQL's row-based
// replication does: their definition travels with an empty PrimaryKey,
// every message of the table has the same (empty) Kafka key, so one
// partition keeps them in binlog order, and sinks match rows by their full
// before image, one statement per row (sink/keyless.go). A source's
// unique_key_tables opts tables in to being keyed by a unique index whose
// columns are all NOT NULL instead, which identifies a row as well as a
// primary key does: the key travels as the definition's PrimaryKey, so
// messages, partitions, snapshots and sinks use it unchanged. It stays an
// opt-in: the schema history does not record unique indexes, so only the
// operator can say the index held at every position sluice reads.

// uniqueKeyOptIn maps a source's pool to its unique_key_tables patterns,
// so loadTable, which every path that reads a definition from the server
// calls, can apply them.
var uniqueKeyOptIn sync.Map // *sql.DB -> tableFilter

// OptInUniqueKey registers a source pool's unique_key_tables; the returned
// func removes them.
func OptInUniqueKey(db *sql.DB, patterns []string) (undo func()) {
	if len(patterns) == 0 {
		return func() {}
	}
	uniqueKeyOptIn.Store(db, Filter(patterns))
	return func() { uniqueKeyOptIn.Delete(db) }
}

// uniqueKeyAllowed reports whether db.table may be keyed by a unique key.
func uniqueKeyAllowed(db *sql.DB, schema, table string) bool {
	f, ok := uniqueKeyOptIn.Load(db)
	return ok && f.(Filter).Match(schema, table)
}

// KeylessKey returns the key of a table without a primary key: its unique
// NOT NULL key when unique_key_tables selects it, else nil (rows are
// matched by their full image).
func KeylessKey(ctx context.Context, db *sql.DB, schema, table string) ([]string, error) {
	if !uniqueKeyAllowed(db, schema, table) {
		return nil, nil
	}
	cols, err := UniqueNotNullKey(ctx, db, schema, table)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s.%s is in unique_key_tables but has neither a primary key nor a unique index whose columns are all NOT NULL: "+
			"add one, or take it out of unique_key_tables (its rows are then matched by their full image)", schema, table)
	}
	return cols, nil
}

// UniqueNotNullKey returns the columns of the table's unique index whose
// columns are all NOT NULL and not generated: the one with the fewest
// columns, then the first by name. It returns nil when there is none.
func UniqueNotNullKey(ctx context.Context, db *sql.DB, schema, table string) ([]string, error) {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT s.INDEX_NAME, s.COLUMN_NAME, s.SEQ_IN_INDEX, c.IS_NULLABLE, c.EXTRA
		FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c
		  ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
		WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0`, schema, table)
	if err != nil {
		return nil, fmt.Errorf("read unique keys of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	type col struct {
		name string
		seq  int
	}
	idx := map[string][]col{}
	bad := map[string]bool{}
	for rows.Next() {
		var index, name, nullable, extra string
		var seq int
		if err := rows.Scan(&index, &name, &seq, &nullable, &extra); err != nil {
			return nil, err
		}
		idx[index] = append(idx[index], col{name, seq})
		if nullable != "NO" || strings.Contains(strings.ToUpper(extra), "GENERATED") {
			bad[index] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var names []string
	for n := range idx {
		if !bad[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Slice(names, func(i, j int) bool {
		if len(idx[names[i]]) != len(idx[names[j]]) {
			return len(idx[names[i]]) < len(idx[names[j]])
		}
		return names[i] < names[j]
	})
	cols := idx[names[0]]
	sort.Slice(cols, func(i, j int) bool { return cols[i].seq < cols[j].seq })
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out, nil
}
