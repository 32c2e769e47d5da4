package sink

import (
	"context"
	"database/sql"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// writer writes rows inside one replica transaction (or one worker's XA
// branch): the applier makes one per transaction, the merger (merge.go)
// hands it each table's rows, and it builds their statements (sql.go) and
// runs them, one by one or pipelined (pipe.go). It counts the rows it was
// given by table and op for the metrics. A writer is used by one goroutine;
// writers of the workers share only the applier's cache (mergeCache, which
// locks) and read the schema history.
type writer struct {
	a      *applier
	hist   *schemaHistory
	routes routes
	run    func(ctx context.Context, q string, args []any) error // runs one statement in the replica transaction
	// runResult runs one statement directly and returns its result; only
	// after sync (keyless.go, which needs the rows it changed).
	runResult func(ctx context.Context, q string, args []any) (sql.Result, error)
	pipe      *stmtPipe         // nil: statements run one by one (pipe.go)
	counts    map[[2]string]int // rows applied by table and op, for the metrics
	sqls      map[*event.TableDef]*tableSQL
}

// execer runs statements in one replica transaction: a *sql.Tx, or the
// *sql.Conn of a worker's XA branch (workers.go).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// newWriter returns a writer on tx that runs each statement before it
// returns.
func (a *applier) newWriter(tx execer, counts map[[2]string]int) *writer {
	run := func(ctx context.Context, q string, args []any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			err = runLenient(ctx, tx, q, args, err) // lenient.go: values a lax source session stored
		}
		return err
	}
	runResult := func(ctx context.Context, q string, args []any) (sql.Result, error) {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return runLenientResult(ctx, tx, q, args, err) // lenient.go
		}
		return res, nil
	}
	return &writer{a: a, hist: a.s.schema, routes: a.s.routes, run: run, runResult: runResult, counts: counts, sqls: map[*event.TableDef]*tableSQL{}}
}

// newPipedWriter returns a writer whose statements run while the next
// are built (pipe.go); the caller must call sync before it uses tx
// itself and close before the transaction ends.
func (a *applier) newPipedWriter(tx execer, counts map[[2]string]int) *writer {
	w := a.newWriter(tx, counts)
	w.pipe = newStmtPipe(w.run)
	return w
}

// exec runs a statement in the replica transaction, or queues it on the
// pipe; an error is described by describe (the statement's own, even when
// reported by a later exec). args must not be changed afterwards.
func (w *writer) exec(ctx context.Context, q string, args []any, describe func(error) error) error {
	if err := w.a.tooLarge(q, args); err != nil {
		return err
	}
	if w.pipe != nil {
		return w.pipe.exec(ctx, q, args, describe)
	}
	if err := w.run(ctx, q, args); err != nil {
		return describe(err)
	}
	return nil
}

// sync waits for the queued statements; after it the transaction may be
// used directly.
func (w *writer) sync() error {
	if w.pipe == nil {
		return nil
	}
	return w.pipe.wait()
}

// close ends the pipe's goroutine, if any.
func (w *writer) close() {
	if w.pipe != nil {
		w.pipe.close()
	}
}
