package verify

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// vtable is one table as verify compares it: the source's definition, the
// columns compared (every column that is not generated, as the sink writes
// them) and the SQL built from them. The same statements run on the source
// and on the replica, so both sides compute the same hash of equal rows.
type vtable struct {
	def   *event.TableDef
	cols  []*event.Column // compared columns, in source order
	pk    []*event.Column
	qname string   // quoted db.table on the source
	rname string   // quoted db.table on the replica (the sink's route)
	rep   *sql.DB  // the replica, whose statements use rname
	qpk   []string // quoted primary-key columns
	hash  string   // SQL: unsigned 64-bit hash of a row
}

// newVTable prepares the statements of def, whose replica table is
// repDB.repTable on rep.
func newVTable(def *event.TableDef, rep *sql.DB, repDB, repTable string) *vtable {
	t := &vtable{def: def, qname: dbconn.QuoteTable(def.DB, def.Table), rname: dbconn.QuoteTable(repDB, repTable), rep: rep}
	var parts, nulls []string
	for i := range def.Columns {
		c := &def.Columns[i]
		if c.Generated != "" {
			continue
		}
		t.cols = append(t.cols, c)
		parts = append(parts, hashPart(c))
		if c.Nullable {
			nulls = append(nulls, "ISNULL("+dbconn.QuoteIdent(c.Name)+")")
		}
	}
	// CONCAT_WS skips NULLs; the NULL flags, last, say which were skipped,
	// so that NULL and '' differ.
	if len(nulls) > 0 {
		parts = append(parts, "CONCAT("+strings.Join(nulls, ", ")+")")
	}
	for _, k := range def.PrimaryKey {
		t.pk = append(t.pk, def.Column(k))
		t.qpk = append(t.qpk, dbconn.QuoteIdent(k))
	}
	t.hash = "CAST(CONV(LEFT(MD5(CONCAT_WS(',', " + strings.Join(parts, ", ") + ")), 16), 16, 10) AS UNSIGNED)"
	return t
}

// from returns the quoted table on db's side.
func (t *vtable) from(db *sql.DB) string {
	if db == t.rep {
		return t.rname
	}
	return t.qname
}

// hashPart is a column's text in the row hash. Numbers and times, whose
// text holds no comma, go as they are (FLOAT and DOUBLE through their exact
// text); anything else as its bytes prefixed with their length, so that no
// value can shift into the next column.
func hashPart(c *event.Column) string {
	q := dbconn.QuoteIdent(c.Name)
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric",
		"date", "datetime", "timestamp", "time", "year":
		return q
	case "float", "double", "real", "double precision":
		return value.SelectExpr(c, q)
	case "enum": // the index too: the invalid value (0) and an empty member read alike
		e := "CAST(" + q + " AS BINARY)"
		return "CONCAT(" + q + "+0, ':', LENGTH(" + e + "), ':', " + e + ")"
	}
	e := "CAST(" + q + " AS BINARY)"
	return "CONCAT(LENGTH(" + e + "), ':', " + e + ")"
}

// keyRange is the primary-key range (lo, hi]; a nil bound is open. The
// ranges verify walks partition the whole key space, so a row present on
// one side only always falls into exactly one of them.
type keyRange struct {
	lo, hi []any
}

// where returns the condition and arguments selecting r.
func (t *vtable) where(r keyRange) (string, []any) {
	var conds []string
	var args []any
	if r.lo != nil {
		conds = append(conds, keyset.AfterKey(t.qpk))
		args = append(args, keyset.ExpandAfterKey(r.lo)...)
	}
	if r.hi != nil {
		conds = append(conds, atOrBeforeKey(t.qpk))
		args = append(args, keyset.ExpandAfterKey(r.hi)...)
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), args
}

// atOrBeforeKey is "(k1, k2, ...) <= (?, ?, ...)" in the form that index
// range scans use, with the arguments of expandAfterKey.
func atOrBeforeKey(cols []string) string {
	var ors []string
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, cols[j]+" = ?")
		}
		op := " < ?"
		if i == len(cols)-1 {
			op = " <= ?"
		}
		ands = append(ands, cols[i]+op)
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// sum is the checksum of a range: its row count and the XOR of its rows'
// hashes, which does not depend on the order the server reads them in.
type sum struct {
	rows int64
	xor  uint64
}

func (t *vtable) sum(ctx context.Context, db *sql.DB, r keyRange) (sum, error) {
	w, args := t.where(r)
	var s sum
	err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(BIT_XOR("+t.hash+"), 0) FROM "+t.from(db)+" WHERE "+w, args...).
		Scan(&s.rows, &s.xor)
	if err != nil {
		return s, fmt.Errorf("checksum %s: %w", t.def.Name(), err)
	}
	return s, nil
}

// boundary returns the key of the n-th row after r.lo (at most r.hi), or
// nil when r holds fewer than n rows.
func (t *vtable) boundary(ctx context.Context, db *sql.DB, r keyRange, n int) ([]any, error) {
	w, args := t.where(r)
	q := "SELECT " + strings.Join(t.qpk, ", ") + " FROM " + t.from(db) + " WHERE " + w +
		" ORDER BY " + strings.Join(t.qpk, ", ") + fmt.Sprintf(" LIMIT 1 OFFSET %d", n-1)
	raw := make([]sql.RawBytes, len(t.pk))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("chunk boundary of %s: %w", t.def.Name(), err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	key := make([]any, len(raw))
	for i, c := range t.pk {
		key[i] = keyset.Arg(c, raw[i])
	}
	return key, rows.Err()
}

// rowHash is one row of a range: its primary key as read and its hash.
type rowHash struct {
	key  [][]byte
	hash uint64
}

// rowHashes returns the rows of r keyed by rowKey.
func (t *vtable) rowHashes(ctx context.Context, db *sql.DB, r keyRange) (map[string]rowHash, error) {
	w, args := t.where(r)
	q := "SELECT " + strings.Join(t.qpk, ", ") + ", " + t.hash + " FROM " + t.from(db) + " WHERE " + w
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("row hashes of %s: %w", t.def.Name(), err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(t.pk))
	ptrs := make([]any, len(raw)+1)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	out := map[string]rowHash{}
	for rows.Next() {
		var rh rowHash
		ptrs[len(raw)] = &rh.hash
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, b := range raw {
			rh.key = append(rh.key, bytes.Clone(b))
		}
		out[rowKey(rh.key)] = rh
	}
	return out, rows.Err()
}

// rowKey is a map key for a primary key: its parts length-prefixed.
func rowKey(key [][]byte) string {
	var b strings.Builder
	for _, p := range key {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.Write(p)
	}
	return b.String()
}

// showKey formats a primary key for people: id=5, or (a=1, b="x").
func (t *vtable) showKey(key [][]byte) string {
	parts := make([]string, len(key))
	for i, p := range key {
		parts[i] = t.def.PrimaryKey[i] + "=" + showValue(p)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func showValue(p []byte) string {
	if _, err := strconv.ParseFloat(string(p), 64); err == nil && len(p) > 0 {
		return string(p)
	}
	if utf8.Valid(p) {
		return strconv.Quote(string(p))
	}
	return fmt.Sprintf("0x%X", p)
}
