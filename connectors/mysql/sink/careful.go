package sink

import (
	"context"
	"database/sql"
	"errors"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// The applier's careful path: when the replica refuses a row of a batch,
// the batch is applied again row by row to find which, and that row is
// dead-lettered or named (deadletters.go).

// isRowRejection reports whether err, from applying rows, is the replica
// (or the sink's own conversion) refusing a value, as opposed to the
// connection or the server failing: only a rejection is dead-lettered.
func isRowRejection(err error) bool {
	var me *drv.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1048, // column cannot be null
			1062,       // duplicate entry on a unique key the source lacks
			1136,       // column count
			1216, 1452, // foreign key
			1264, 1265, 1292, 1366, 1367, 1406, 1411, 1416, // out of range, truncated, incorrect value
			1690,       // value out of range
			3140,       // invalid JSON
			3819, 4025: // check constraint
			return true
		}
		return false
	}
	var re rowError
	return errors.As(err, &re) // the sink's own checks: a missing column, a value of the wrong type
}

// rowError is an error in one row's content that the sink found itself
// (a value that does not convert to its column, a column the row lacks):
// the row is poison. Other errors of the sink (a definition not in the
// schema history yet) are retried.
type rowError struct{ err error }

func (e rowError) Error() string { return e.err.Error() }
func (e rowError) Unwrap() error { return e.err }

// careful applies changes one at a time, each behind a savepoint; a
// row the replica refuses is rolled back to its savepoint and handed to
// poison, and the rest of the transaction is applied.
func (a *applier) careful(ctx context.Context, tx *sql.Tx, b *batch, changes []*event.Change, counts map[[2]string]int) error {
	for _, ch := range changes {
		if a.s.quar.holds(ch.Table()) { // quarantined by a row before it
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT sluice_row"); err != nil {
			return err
		}
		one := map[[2]string]int{}
		err := a.ordered(ctx, tx, []*event.Change{ch}, one)
		if err == nil {
			for k, n := range one {
				counts[k] += n
			}
			continue
		}
		o, ok := b.origin[ch]
		quarantine := a.s.quar.takes(err)
		if !isRowRejection(err) && !quarantine || !ok {
			return err
		}
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sluice_row"); rerr != nil {
			return rerr
		}
		if quarantine {
			a.s.quar.add(ch.Table(), o, err) // quarantine.go
			continue
		}
		if perr := a.s.dead.poison(ctx, b, o, reasonRejected, err); perr != nil {
			return perr
		}
	}
	return nil
}
