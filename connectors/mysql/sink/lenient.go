package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// A source session with a lax sql_mode stores values that the sink's
// strict session refuses, though the replica's column is the same: an
// ENUM or SET given a value outside its members holds '' (index 0), and a
// FLOAT(M,D) or DOUBLE(M,D) given a value past its range holds the value
// clamped, whose stored float may print beyond M digits (FLOAT(10,2) holds
// 1e8 for 99999999.99). Native replication applies row images whatever
// the sql_mode. The sink does the same for exactly these values: a
// statement refused with error 1264 (out of range) or 1265 (data
// truncated) runs again under lenientSQLMode, and stays only if every
// warning it raised is one of those two on a column of those types;
// otherwise it is rolled back and the strict error stands. A too-long
// string (1406), a NULL in a NOT NULL column (1048) or a value out of an
// integer's range still stop the sink, and a replica column whose
// definition differs from the source's is reported by sluice verify.

// lenientSQLMode is the sink's sql_mode (dbconn.Open) without
// STRICT_ALL_TABLES.
const lenientSQLMode = "ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION"

// lenientTable is the context key of the table whose rows a statement
// writes (withRowsOf).
type lenientTable struct{}

// withRowsOf marks ctx as carrying statements that write rows of def, so
// that a refusal of a laxly stored value can be retried (runLenient).
func withRowsOf(ctx context.Context, def *event.TableDef) context.Context {
	return context.WithValue(ctx, lenientTable{}, def)
}

var warningColumn = regexp.MustCompile(`for column '((?:[^']|'')*)' at row`)

// runLenient runs q again under lenientSQLMode when err, from running it
// strictly on tx, refused a value that a lax source session stores (see
// above), and returns nil when it was applied that way; otherwise it
// returns err.
func runLenient(ctx context.Context, tx execer, q string, args []any, err error) error {
	_, err = runLenientResult(ctx, tx, q, args, err)
	return err
}

// runLenientResult is runLenient with the result of the statement when it
// was applied without strict mode.
func runLenientResult(ctx context.Context, tx execer, q string, args []any, err error) (res sql.Result, _ error) {
	def, _ := ctx.Value(lenientTable{}).(*event.TableDef)
	var me *drv.MySQLError
	qr, ok := tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if def == nil || !ok || !errors.As(err, &me) || me.Number != 1264 && me.Number != 1265 || !hasLaxColumn(def) {
		return nil, err
	}
	if _, serr := tx.ExecContext(ctx, "SAVEPOINT sluice_lenient"); serr != nil {
		return nil, err
	}
	if _, serr := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+lenientSQLMode+"'"); serr != nil {
		return nil, err
	}
	bad, lerr := func() (string, error) {
		var err error
		if res, err = tx.ExecContext(ctx, q, args...); err != nil {
			return "", err
		}
		return unexpectedWarning(ctx, qr, def)
	}()
	if _, serr := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.SQLMode+"'"); serr != nil {
		return nil, fmt.Errorf("restore the sink's sql_mode after a lenient retry: %w", serr)
	}
	if lerr == nil && bad == "" {
		return res, nil
	}
	if _, serr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sluice_lenient"); serr != nil {
		return nil, fmt.Errorf("%w (and rolling back its lenient retry: %v)", err, serr)
	}
	if bad != "" {
		return nil, fmt.Errorf("%w (not applied without strict mode either: %s)", err, bad)
	}
	return nil, err
}

// unexpectedWarning returns the first warning of the last statement that
// is not a laxly stored value of def (see above), or "".
func unexpectedWarning(ctx context.Context, qr interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, def *event.TableDef) (string, error) {
	rows, err := qr.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return "", err
		}
		m := warningColumn.FindStringSubmatch(msg)
		var c *event.Column
		if m != nil {
			c = def.Column(m[1])
		}
		if c == nil || !laxValue(code, c) {
			return fmt.Sprintf("%s %d: %s", level, code, msg), nil
		}
	}
	return "", rows.Err()
}

// laxValue reports whether warning code on column c is a value a lax
// source session stores in the same column.
func laxValue(code int, c *event.Column) bool {
	switch c.DataType {
	case "enum", "set":
		return code == 1265
	case "float", "double", "real", "double precision":
		return code == 1264
	}
	return false
}

// hasLaxColumn reports whether def has a column laxValue may accept.
func hasLaxColumn(def *event.TableDef) bool {
	for i := range def.Columns {
		if laxValue(1265, &def.Columns[i]) || laxValue(1264, &def.Columns[i]) {
			return true
		}
	}
	return false
}
