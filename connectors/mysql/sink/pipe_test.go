package sink

import (
	"context"
	"encoding/json"
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

// TestShardKeepsKeysTogether: every row of a key goes to one worker, the
// rows of a key spread over the workers otherwise; a table with another
// unique key on the replica, or whose key changes in the batch, goes
// whole to one worker; each share keeps source order.
func TestShardKeepsKeysTogether(t *testing.T) {
	w, _ := recordingApplier(kvDef(), &uniqueInfo{compact: true}, maxStatementBytes)
	a := w.a
	var rows []*event.Change
	for i := 1; i <= 200; i++ {
		rows = append(rows, kvChange(i, event.OpCreate, i%50, i, "v"))
	}
	rows = append(rows, kvChange(201, event.OpDelete, 7, 0, ""))
	b := &batch{txs: []txRows{{changes: rows}}}
	shards, err := a.workers.shard(context.Background(), b, 3)
	if err != nil {
		t.Fatal(err)
	}
	worker := map[string]int{}
	for w, share := range shards {
		if len(share) == 0 {
			t.Errorf("worker %d got no rows of 50 keys", w)
		}
		for i, ch := range share {
			img := ch.After
			if ch.Op == event.OpDelete {
				img = ch.Before
			}
			k, _ := imageKey([]string{"id"}, img)
			if prev, ok := worker[k]; ok && prev != w {
				t.Fatalf("key %s on workers %d and %d", k, prev, w)
			}
			worker[k] = w
			if i > 0 && share[i-1].Source.Pos >= ch.Source.Pos {
				t.Fatalf("worker %d: rows out of source order", w)
			}
		}
	}
	moved := kvChange(300, event.OpUpdate, 1, 1, "x") // id 2 becomes id 1
	moved.Before = event.Row{"id": json.RawMessage("2"), "k": json.RawMessage("1"), "v": json.RawMessage(`"x"`)}
	for _, tc := range []struct {
		name string
		u    *uniqueInfo
		rows []*event.Change
	}{
		{"another unique key", &uniqueInfo{compact: true, keys: [][]string{{"k"}}}, rows},
		{"a key change", &uniqueInfo{compact: true}, append(rows[:10:10], moved)},
	} {
		a.merge.uniq[kvDef().Name()] = tc.u
		shards, err := a.workers.shard(context.Background(), &batch{txs: []txRows{{changes: tc.rows}}}, 3)
		if err != nil {
			t.Fatal(err)
		}
		busy := 0
		for _, share := range shards {
			if len(share) > 0 {
				busy++
			}
		}
		if busy != 1 {
			t.Errorf("%s: rows on %d workers, want the whole table on one", tc.name, busy)
		}
	}
}
