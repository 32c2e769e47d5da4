package keyset

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// Queryer runs a query: a *sql.Conn inside a snapshot transaction, or a pool.
type Queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Reader reads one table in primary-key order, one chunk per query.
// It holds no connection and no position: the caller says which view to
// read in and after which key.
type Reader struct {
	Def   *event.TableDef
	size  int
	base  string // SELECT ... FROM t
	tail  string // ORDER BY pk LIMIT size
	order []string
	pkIdx []int // indexes in def.Columns of the primary-key columns
}

// Row is one copied row: its primary key and full image.
type Row struct{ Key, After event.Row }

// Chunk is what one chunk query returned.
type Chunk struct {
	Rows    []Row
	After   [][]byte // the key the chunk starts after (exclusive); nil: the table's start
	LastKey [][]byte // raw key of the last row; equal to after when the chunk is empty
	Last    bool     // fewer rows than the chunk size: the table ends with this chunk
	// Replace says the chunk is a whole table without a key: sinks cannot
	// upsert its rows, so they empty their copy before inserting them.
	Replace bool
}

// NewReader returns a reader of def in primary-key order, size rows a chunk.
// A table without a key cannot be cut into key ranges: it is read whole,
// as one chunk (Replace), in the caller's consistent view.
func NewReader(def *event.TableDef, size int) *Reader {
	cols := make([]string, len(def.Columns))
	for i := range def.Columns {
		// FLOAT/DOUBLE need an exact text form; the server's default rounds.
		cols[i] = value.SelectExpr(&def.Columns[i], dbconn.QuoteIdent(def.Columns[i].Name))
	}
	r := &Reader{Def: def, size: size}
	for _, k := range def.PrimaryKey {
		for j, c := range def.Columns {
			if c.Name == k {
				r.pkIdx = append(r.pkIdx, j)
			}
		}
		r.order = append(r.order, dbconn.QuoteIdent(k))
	}
	r.base = "SELECT " + strings.Join(cols, ", ") + " FROM " + dbconn.QuoteTable(def.DB, def.Table)
	if len(r.order) > 0 {
		r.tail = " ORDER BY " + strings.Join(r.order, ", ") + fmt.Sprintf(" LIMIT %d", size)
	}
	return r
}

// read returns the chunk of rows after the key after (nil: from the start).
func (r *Reader) Read(ctx context.Context, q Queryer, after [][]byte) (*Chunk, error) {
	stmt, args := r.base+r.tail, []any(nil)
	if after != nil {
		if len(after) != len(r.pkIdx) {
			return nil, fmt.Errorf("snapshot %s: resume key has %d values, the primary key %d columns", r.Def.Name(), len(after), len(r.pkIdx))
		}
		key := make([]any, len(after))
		for i, raw := range after {
			key[i] = Arg(&r.Def.Columns[r.pkIdx[i]], raw)
		}
		stmt, args = r.base+" WHERE "+AfterKey(r.order)+r.tail, ExpandAfterKey(key)
	}
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", r.Def.Name(), err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(r.Def.Columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	c := &Chunk{After: after, LastKey: after}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", r.Def.Name(), err)
		}
		row := Row{After: make(event.Row, len(r.Def.Columns)), Key: make(event.Row, len(r.pkIdx))}
		for i := range r.Def.Columns {
			v, err := value.FromText(&r.Def.Columns[i], raw[i])
			if err != nil {
				return nil, fmt.Errorf("snapshot %s: %w", r.Def.Name(), err)
			}
			row.After[r.Def.Columns[i].Name] = v
		}
		last := make([][]byte, len(r.pkIdx))
		for j, i := range r.pkIdx {
			row.Key[r.Def.Columns[i].Name] = row.After[r.Def.Columns[i].Name]
			last[j] = append([]byte(nil), raw[i]...)
		}
		c.LastKey = last
		c.Rows = append(c.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", r.Def.Name(), err)
	}
	c.Last = len(c.Rows) < r.size
	if len(r.pkIdx) == 0 {
		c.Last, c.Replace, c.LastKey = true, true, nil
	}
	return c, nil
}

// keyRow decodes a raw key (the server's text form) into envelope values.
func (r *Reader) KeyRow(raw [][]byte) (map[string]json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	out := make(map[string]json.RawMessage, len(raw))
	for j, i := range r.pkIdx {
		c := &r.Def.Columns[i]
		v, err := value.FromText(c, raw[j])
		if err != nil {
			return nil, fmt.Errorf("snapshot %s key %s: %w", r.Def.Name(), c.Name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[c.Name] = b
	}
	return out, nil
}
