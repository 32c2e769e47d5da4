package mysql

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// TestPipedApplierSameStatements: with its statements pipelined, the
// applier runs the same statements with the same arguments, in the same
// order, as one by one, across many statements (arguments are not reused
// while a statement waits).
func TestPipedApplierSameStatements(t *testing.T) {
	var rows []*event.Change
	for i := 1; i <= 3*maxRowsPerStatement+7; i++ {
		rows = append(rows, kvChange(i, event.OpCreate, i, i, fmt.Sprint("v", i)))
		if i%5 == 0 {
			rows = append(rows, kvChange(i, event.OpDelete, i-1, 0, ""))
		}
	}
	direct, want := recordingApplier(kvDef(), &uniqueInfo{keys: [][]string{{"v"}}}, 3000)
	applyMerged(t, direct, rows)

	piped, _ := recordingApplier(kvDef(), &uniqueInfo{keys: [][]string{{"v"}}}, 3000)
	var mu sync.Mutex
	var got []stmt
	piped.run = func(_ context.Context, q string, args []any) error {
		time.Sleep(100 * time.Microsecond) // the builder runs ahead
		mu.Lock()
		got = append(got, stmt{q, args})
		mu.Unlock()
		return nil
	}
	piped.pipe = newStmtPipe(piped.run)
	applyMerged(t, piped, rows)
	if err := piped.sync(); err != nil {
		t.Fatal(err)
	}
	piped.close()
	if len(*want) < 10 {
		t.Fatalf("only %d statements: the test needs many", len(*want))
	}
	if !reflect.DeepEqual(got, *want) {
		t.Fatalf("piped statements differ from direct ones: %d vs %d statements", len(got), len(*want))
	}
}

// TestPipedApplierError: the first failing statement's error is returned,
// described as that statement, and no later statement runs.
func TestPipedApplierError(t *testing.T) {
	a, _ := recordingApplier(kvDef(), &uniqueInfo{compact: true}, maxStatementBytes)
	var ran []string
	a.run = func(_ context.Context, q string, _ []any) error {
		ran = append(ran, q)
		if len(ran) == 2 {
			return errors.New("Duplicate entry")
		}
		return nil
	}
	a.pipe = newStmtPipe(a.run)
	defer a.close()
	ctx := context.Background()
	var err error
	for i := range 5 {
		if err = a.exec(ctx, fmt.Sprint("stmt ", i), nil, func(err error) error { return fmt.Errorf("statement %d: %w", i, err) }); err != nil {
			break
		}
	}
	if err == nil {
		err = a.sync()
	}
	if err == nil || !strings.Contains(err.Error(), "statement 1: Duplicate entry") {
		t.Fatalf("got %v, want the second statement's error", err)
	}
	if err := a.sync(); err == nil {
		t.Fatal("sync after a failure reports no error")
	}
	if len(ran) != 2 {
		t.Fatalf("ran %v: statements after the failing one must not run", ran)
	}
}
