package sink

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// Tables without a key (a definition with an empty PrimaryKey, see
// catalog/keyless.go) are applied the way MySQL's row-based replication
// applies them: in binlog order, never merged, each update and delete one
// statement that finds the row by its full before image and touches one
// row (LIMIT 1), so of two identical rows exactly one changes. Inserts
// are plain INSERTs (consecutive ones share a statement, which inserts in
// order). A row the replica does not hold stops the sink, as native
// replication stops with error 1032: the replica has diverged, and
// guessing would hide it.
//
// Matching: NULL is IS NULL; character columns compare both under their
// collation (which can use an index) and byte for byte in their own
// character set, since 'a' and 'A ' may be equal under a collation and
// still be different rows; MySQL's JSON columns compare as JSON; every
// other value compares with =, as the sink sends values exactly (FLOAT as
// the float32's exact widening). Generated columns are neither matched
// nor set: the replica computes them.

// keyless applies changes of def, a table without a key, in order.
func (w *writer) keyless(ctx context.Context, def *event.TableDef, changes []*event.Change) error {
	t := w.sql(def)
	for i := 0; i < len(changes); {
		ch := changes[i]
		switch ch.Op {
		case event.OpTruncate:
			if err := w.exec(ctx, "DELETE FROM "+t.target, nil, func(err error) error {
				return fmt.Errorf("truncate %s: %w", def.Name(), err)
			}); err != nil {
				return err
			}
			i++
		case event.OpUpdate, event.OpDelete:
			if err := w.keylessRow(ctx, def, t, ch); err != nil {
				return err
			}
			i++
		default: // a run of inserts and snapshot reads
			j := i + 1
			for j < len(changes) && changes[j].Op != event.OpTruncate && changes[j].Op != event.OpUpdate && changes[j].Op != event.OpDelete {
				j++
			}
			if err := w.upsert(ctx, def, changes[i:j]); err != nil { // sql.go: without ON DUPLICATE KEY UPDATE for a keyless def
				return err
			}
			i = j
		}
	}
	return nil
}

// keylessRow updates or deletes the one replica row equal to ch's before
// image, and fails when there is none.
func (w *writer) keylessRow(ctx context.Context, def *event.TableDef, t *tableSQL, ch *event.Change) error {
	at := fmt.Sprintf("%s %s at %s:%d", def.Name(), ch.Op, ch.Source.File, ch.Source.Pos)
	if len(ch.Before) == 0 {
		return rowError{fmt.Errorf("%s: no before image to find the row by (the table has no key)", at)}
	}
	var q strings.Builder
	var args []any
	same := true // the written columns do not change: the server reports 0 rows changed
	if ch.Op == event.OpUpdate {
		q.WriteString("UPDATE " + t.target + " SET ")
		for i, c := range t.cols {
			v, ok := ch.After[c.Name]
			if !ok {
				return rowError{fmt.Errorf("%s: after image has no column %s: the replica's definition differs from the stream's", at, c.Name)}
			}
			x, err := keyset.SQLArg(c, v)
			if err != nil {
				return rowError{fmt.Errorf("%s column %s: %w", at, c.Name, err)}
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(dbconn.QuoteIdent(c.Name) + " = ?")
			args = append(args, x)
			same = same && rawText(v) == rawText(ch.Before[c.Name])
		}
	} else {
		q.WriteString("DELETE FROM " + t.target)
		same = false
	}
	q.WriteString(" WHERE ")
	for i, c := range t.cols {
		v, ok := ch.Before[c.Name]
		if !ok {
			return rowError{fmt.Errorf("%s: before image has no column %s, so the row cannot be found "+
				"(binlog_row_image=FULL on the source logs every column)", at, c.Name)}
		}
		if i > 0 {
			q.WriteString(" AND ")
		}
		x, err := keyset.SQLArg(c, v)
		if err != nil {
			return rowError{fmt.Errorf("%s column %s: %w", at, c.Name, err)}
		}
		cond, n := matchColumn(c, x == nil)
		q.WriteString(cond)
		for range n {
			args = append(args, x)
		}
	}
	q.WriteString(" LIMIT 1")
	if err := w.a.tooLarge(q.String(), args); err != nil {
		return err
	}
	if err := w.sync(); err != nil { // the statement's result is needed: run it now, after the queued ones
		return err
	}
	res, err := w.runResult(withRowsOf(ctx, def), q.String(), args) // lenient.go: values a lax source session stored
	if err != nil {
		return fmt.Errorf("%s (table without a key): %w", at, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s (table without a key): %w", at, err)
	}
	if n != 1 && !same {
		return fmt.Errorf("%s: the replica has no row equal to the before image of this change (the table has no key, "+
			"so rows are found by all their values): the replica's copy of %s differs from the source's; "+
			"copy the table again (sluice snapshot --table %s) and restart the sink", at, def.Name(), def.Name())
	}
	return nil
}

// matchColumn returns the condition that finds c's value in a keyless
// row and how many times it takes the value as an argument.
func matchColumn(c *event.Column, null bool) (string, int) {
	q := dbconn.QuoteIdent(c.Name)
	if null {
		return q + " IS NULL", 0
	}
	switch c.DataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if !plainName(c.Charset) || c.Charset == "binary" {
			return q + " = ?", 1
		}
		return "(" + q + " = ? AND CAST(" + q + " AS BINARY) = CAST(CONVERT(? USING " + c.Charset + ") AS BINARY))", 2
	case "json":
		return q + " = CAST(? AS JSON)", 1
	}
	return q + " = ?", 1
}

// plainName reports whether s is a non-empty name of letters, digits and
// underscores (a character set's, safe to write into a statement).
func plainName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}
