package sink

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// tableSQL is the statement text of the writes into one table definition.
type tableSQL struct {
	target string
	cols   []*event.Column // the columns written: all but generated ones
	insert string          // INSERT INTO t (a, b) VALUES
	update string          // ON DUPLICATE KEY UPDATE a = VALUES(a), ...
	row    string          // (?, ?)
	del    string          // DELETE FROM t WHERE
	delOne string          // ? with a one-column key, else (a = ? AND b = ?)
	delSep string          // between two delOne
	delEnd string
}

func (w *writer) sql(def *event.TableDef) *tableSQL {
	if t := w.sqls[def]; t != nil {
		return t
	}
	t := &tableSQL{target: w.routes.target(def.Name())}
	var names, updates []string
	for i := range def.Columns {
		if c := &def.Columns[i]; c.Generated == "" {
			t.cols = append(t.cols, c)
			n := dbconn.QuoteIdent(c.Name)
			names, updates = append(names, n), append(updates, n+" = VALUES("+n+")")
		}
	}
	t.insert = "INSERT INTO " + t.target + " (" + strings.Join(names, ", ") + ") VALUES "
	t.update = " ON DUPLICATE KEY UPDATE " + strings.Join(updates, ", ")
	t.row = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	t.del = "DELETE FROM " + t.target + " WHERE "
	if len(def.PrimaryKey) == 1 {
		t.del += dbconn.QuoteIdent(def.PrimaryKey[0]) + " IN ("
		t.delOne, t.delSep, t.delEnd = "?", ", ", ")"
	} else {
		conds := make([]string, len(def.PrimaryKey))
		for i, k := range def.PrimaryKey {
			conds[i] = dbconn.QuoteIdent(k) + " = ?"
		}
		t.delOne, t.delSep = "("+strings.Join(conds, " AND ")+")", " OR "
	}
	w.sqls[def] = t
	return t
}

// upsert writes the after images of rows of def, in order, in multi-row
// statements: INSERT ... ON DUPLICATE KEY UPDATE, or plain INSERT for a
// table without a key.
func (w *writer) upsert(ctx context.Context, def *event.TableDef, rows []*event.Change) error {
	t := w.sql(def)
	ctx = withRowsOf(ctx, def)
	return w.chunks(ctx, rows, len(t.cols), func(ch *event.Change, args []any) ([]any, int, error) {
		if len(ch.After) == 0 {
			return args, 0, rowError{fmt.Errorf("%s %s change without after image at %s:%d", def.Name(), ch.Op, ch.Source.File, ch.Source.Pos)}
		}
		size := 0
		for _, c := range t.cols {
			v, ok := ch.After[c.Name]
			if !ok {
				return args, 0, rowError{fmt.Errorf("%s: change at %s:%d has no column %s: the replica's definition differs from the stream's", def.Name(), ch.Source.File, ch.Source.Pos, c.Name)}
			}
			x, err := keyset.SQLArg(c, v)
			if err != nil {
				return args, 0, rowError{fmt.Errorf("%s column %s at %s:%d: %w", def.Name(), c.Name, ch.Source.File, ch.Source.Pos, err)}
			}
			args, size = append(args, x), size+argBytes(x)
		}
		return args, size, nil
	}, func(n int, args []any, first *event.Change) error {
		var q strings.Builder
		q.Grow(len(t.insert) + n*(len(t.row)+2) + len(t.update))
		q.WriteString(t.insert)
		for i := 0; i < n; i++ {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(t.row)
		}
		if len(def.PrimaryKey) > 0 { // a table without a key takes plain INSERTs (keyless.go)
			q.WriteString(t.update)
		}
		return w.exec(ctx, q.String(), args, func(err error) error {
			return fmt.Errorf("upsert %d rows into %s (first at %s:%d): %w", n, def.Name(), first.Source.File, first.Source.Pos, err)
		})
	})
}

// delete deletes the rows of def that rows' before images name, in
// batched statements.
func (w *writer) delete(ctx context.Context, def *event.TableDef, rows []*event.Change) error {
	if len(rows) == 0 {
		return nil
	}
	if len(def.PrimaryKey) == 0 { // tables without a key take keyless.go's path; never batched by key
		ch := rows[0]
		return fmt.Errorf("%s delete at %s:%d: the definition in the schema history has no key", def.Name(), ch.Source.File, ch.Source.Pos)
	}
	t := w.sql(def)
	return w.chunks(ctx, rows, len(def.PrimaryKey), func(ch *event.Change, args []any) ([]any, int, error) {
		size := 0
		for _, k := range def.PrimaryKey {
			v, ok := ch.Before[k]
			if !ok {
				return args, 0, rowError{fmt.Errorf("%s delete at %s:%d lacks key column %s", def.Name(), ch.Source.File, ch.Source.Pos, k)}
			}
			x, err := keyset.SQLArg(def.Column(k), v)
			if err != nil {
				return args, 0, rowError{fmt.Errorf("%s key %s at %s:%d: %w", def.Name(), k, ch.Source.File, ch.Source.Pos, err)}
			}
			args, size = append(args, x), size+argBytes(x)
		}
		return args, size, nil
	}, func(n int, args []any, first *event.Change) error {
		var q strings.Builder
		q.Grow(len(t.del) + n*(len(t.delOne)+len(t.delSep)) + len(t.delEnd))
		q.WriteString(t.del)
		for i := 0; i < n; i++ {
			if i > 0 {
				q.WriteString(t.delSep)
			}
			q.WriteString(t.delOne)
		}
		q.WriteString(t.delEnd)
		return w.exec(ctx, q.String(), args, func(err error) error {
			return fmt.Errorf("delete %d rows from %s (first at %s:%d): %w", n, def.Name(), first.Source.File, first.Source.Pos, err)
		})
	})
}

// chunks cuts rows into statements of at most maxRowsPerStatement rows,
// maxPlaceholders arguments and the statement byte limit (one larger row
// alone), collecting each row's arguments with rowArgs and running each
// statement with exec.
func (w *writer) chunks(ctx context.Context, rows []*event.Change, perRow int,
	rowArgs func(ch *event.Change, args []any) ([]any, int, error),
	exec func(n int, args []any, first *event.Change) error) error {
	if len(rows) == 0 {
		return nil
	}
	limit, err := w.a.stmtLimit(ctx)
	if err != nil {
		return err
	}
	maxRows := min(maxRowsPerStatement, maxPlaceholders/max(perRow, 1))
	args := make([]any, 0, perRow*min(len(rows), maxRows))
	start, size := 0, 0
	for i, ch := range rows {
		mark := len(args)
		var n int
		if args, n, err = rowArgs(ch, args); err != nil {
			return err
		}
		if i > start && (i-start == maxRows || size+n > limit) {
			if err := exec(i-start, args[:mark], rows[start]); err != nil {
				return err
			}
			// A new slice: the statement keeps its arguments (pipe.go).
			args = append(make([]any, 0, cap(args)), args[mark:]...)
			start, size = i, 0
		}
		size += n
	}
	return exec(len(rows)-start, args, rows[start])
}

// argBytes estimates the bytes an argument takes in a statement (escaped).
func argBytes(x any) int {
	switch v := x.(type) {
	case string:
		return 2*len(v) + 3
	case []byte:
		return 2*len(v) + 10
	default:
		return 24
	}
}
