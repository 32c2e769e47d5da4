// Package sqlscan scans rows whose width is not known in advance: the
// SHOW statements whose columns differ between servers and versions
// (SHOW MASTER STATUS, SHOW BINARY LOGS, SHOW REPLICAS, SHOW SLAVE STATUS).
// In: a *sql.Rows positioned on a row. Out: one text value per column,
// NULL kept apart from the empty string.
package sqlscan

import "database/sql"

// Row scans the row rows is positioned on (after a true rows.Next) into one
// value per column. It does not advance rows.
func Row(rows *sql.Rows) ([]sql.NullString, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}

// Named scans the current row like Row and returns it by column name.
func Named(rows *sql.Rows) (map[string]sql.NullString, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals, err := Row(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]sql.NullString, len(cols))
	for i, c := range cols {
		out[c] = vals[i]
	}
	return out, nil
}
