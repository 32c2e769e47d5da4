package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// stmt is a statement the applier ran.
type stmt struct {
	q    string
	args []any
}

// recordingApplier is a writer over def whose replica has the unique
// keys u; it records the statements instead of running them.
func recordingApplier(def *event.TableDef, u *uniqueInfo, stmtBytes int) (*writer, *[]stmt) {
	a, _, _ := benchApplier(def)
	a.a.merge.uniq[def.Name()] = u
	a.a.merge.stmtBytes = stmtBytes
	var got []stmt
	a.run = func(_ context.Context, q string, args []any) error {
		got = append(got, stmt{q, args})
		return nil
	}
	return a, &got
}

// kv is a test table: id INT PRIMARY KEY, k INT (unique on some replicas), v VARCHAR.
func kvDef() *event.TableDef {
	return &event.TableDef{DB: "shop", Table: "kv", PrimaryKey: []string{"id"}, Columns: []event.Column{
		{Name: "id", DataType: "int", ColumnType: "int(11)"},
		{Name: "k", DataType: "int", ColumnType: "int(11)", Nullable: true},
		{Name: "v", DataType: "varchar", ColumnType: "varchar(20)", Charset: "utf8mb4"},
	}}
}

// kvChange is a decoded change of kvDef: op on row id with k and v
// (k < 0 is NULL); a delete names id only, an update has the same before
// image key.
func kvChange(n int, op event.Op, id, k int, v string) *event.Change {
	row := func() event.Row {
		kr := json.RawMessage(fmt.Sprint(k))
		if k < 0 {
			kr = json.RawMessage("null")
		}
		return event.Row{"id": json.RawMessage(fmt.Sprint(id)), "k": kr, "v": json.RawMessage(fmt.Sprintf("%q", v))}
	}
	ch := &event.Change{Op: op, Source: event.Source{DB: "shop", Table: "kv", File: "b.1", Pos: uint32(n)},
		Transaction: &event.Transaction{TotalOrder: 1, Seq: event.MakeSeq(1, uint64(n), 0)}}
	switch op {
	case event.OpDelete:
		ch.Before = row()
	case event.OpUpdate:
		ch.Before, ch.After = row(), row()
	default:
		ch.After = row()
	}
	return ch
}

// before sets the before image's k of an update (k < 0 is NULL).
func before(ch *event.Change, k int) *event.Change {
	ch.Before = event.Row{"id": ch.Before["id"], "k": json.RawMessage(fmt.Sprint(k)), "v": ch.Before["v"]}
	if k < 0 {
		ch.Before["k"] = json.RawMessage("null")
	}
	return ch
}

func applyMerged(t *testing.T, a *writer, changes []*event.Change) {
	t.Helper()
	m := newMerger(a)
	if err := m.add(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	if err := m.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMergeCompacts: rows of many transactions on a table without other
// unique keys become one DELETE of the keys deleted last and one upsert
// of every other key's last image.
func TestMergeCompacts(t *testing.T) {
	a, got := recordingApplier(kvDef(), &uniqueInfo{compact: true}, maxStatementBytes)
	applyMerged(t, a, []*event.Change{
		kvChange(1, event.OpCreate, 1, 1, "a"),
		kvChange(2, event.OpUpdate, 1, 1, "a2"),
		kvChange(3, event.OpDelete, 2, 0, ""),
		kvChange(4, event.OpCreate, 2, 2, "b"), // deleted, then inserted again
		kvChange(5, event.OpCreate, 3, 3, "c"),
		kvChange(6, event.OpDelete, 3, 0, ""), // inserted, then deleted
		kvChange(7, event.OpUpdate, 1, 1, "a3"),
		kvChange(8, event.OpDelete, 4, 0, ""),
	})
	if len(*got) != 2 {
		t.Fatalf("want a DELETE and an upsert, got %d statements: %v", len(*got), *got)
	}
	del, up := (*got)[0], (*got)[1]
	if !strings.HasPrefix(del.q, "DELETE FROM `shop`.`kv` WHERE `id` IN (?, ?)") || fmt.Sprint(del.args) != "[3 4]" {
		t.Errorf("delete: %s %v", del.q, del.args)
	}
	if !strings.Contains(up.q, "ON DUPLICATE KEY UPDATE") || fmt.Sprint(up.args) != "[2 2 b 1 1 a3]" {
		t.Errorf("upsert: %s %v, want the last images of ids 2 and 1", up.q, up.args)
	}
	if n := a.counts[[2]string{"shop.kv", "c"}] + a.counts[[2]string{"shop.kv", "u"}] + a.counts[[2]string{"shop.kv", "d"}]; n != 8 {
		t.Errorf("counted %d rows applied, want 8 (every source row)", n)
	}
}

// TestMergeKeepsOrderOnUniqueMove: when a unique value moves from one row
// to another within the batch, the table's rows keep their order
// (consecutive ones of a kind still sharing a statement); a value that
// stays with its row, or NULLs, do not stop compaction.
func TestMergeKeepsOrderOnUniqueMove(t *testing.T) {
	unique := &uniqueInfo{keys: [][]string{{"k"}}, compact: true}
	moves := []*event.Change{
		before(kvChange(1, event.OpUpdate, 1, -1, "a"), 1), // frees k=1
		before(kvChange(2, event.OpUpdate, 2, 1, "b"), 2),  // takes it
		before(kvChange(3, event.OpUpdate, 1, 5, "a"), -1),
		kvChange(4, event.OpDelete, 3, 0, ""),
		before(kvChange(5, event.OpUpdate, 1, 6, "a"), 5),
	}
	a, got := recordingApplier(kvDef(), unique, maxStatementBytes)
	applyMerged(t, a, moves)
	if len(*got) != 3 || fmt.Sprint((*got)[0].args) != "[1 <nil> a 2 1 b 1 5 a]" || !strings.HasPrefix((*got)[1].q, "DELETE") {
		t.Errorf("want the source's order (3 upserts, the delete, 1 upsert), got %v", *got)
	}
	a, got = recordingApplier(kvDef(), unique, maxStatementBytes)
	applyMerged(t, a, []*event.Change{
		kvChange(1, event.OpUpdate, 1, 1, "a"),
		kvChange(2, event.OpUpdate, 2, -1, "b"),
		kvChange(3, event.OpUpdate, 3, -1, "c"),
		kvChange(4, event.OpUpdate, 1, 1, "a2"),
	})
	if len(*got) != 1 || len((*got)[0].args) != 9 {
		t.Errorf("want one upsert of 3 rows (compacted), got %v", *got)
	}
	// A unique key over text (a collation): always in order.
	a, got = recordingApplier(kvDef(), &uniqueInfo{keys: [][]string{{"v"}}}, maxStatementBytes)
	applyMerged(t, a, []*event.Change{kvChange(1, event.OpUpdate, 1, 1, "a"), kvChange(2, event.OpUpdate, 1, 1, "b")})
	if len(*got) != 1 || len((*got)[0].args) != 6 {
		t.Errorf("want both rows in order in one statement, got %v", *got)
	}
}

// TestMergeStatementBounds: a statement holds at most maxRowsPerStatement
// rows and about the byte limit of values; a larger row is alone.
func TestMergeStatementBounds(t *testing.T) {
	a, got := recordingApplier(kvDef(), &uniqueInfo{compact: true}, 1000)
	var rows []*event.Change
	for i := 1; i <= 3; i++ {
		rows = append(rows, kvChange(i, event.OpCreate, i, i, strings.Repeat("x", 600)))
	}
	applyMerged(t, a, rows)
	if len(*got) != 3 {
		t.Errorf("rows of ~1200 bytes under a 1000-byte limit: want 3 statements, got %d", len(*got))
	}
	a, got = recordingApplier(kvDef(), &uniqueInfo{compact: true}, maxStatementBytes)
	rows = rows[:0]
	for i := 1; i <= 2*maxRowsPerStatement+1; i++ {
		rows = append(rows, kvChange(i, event.OpCreate, i, i, "v"))
	}
	applyMerged(t, a, rows)
	if len(*got) != 3 || len((*got)[2].args) != 3 {
		t.Errorf("%d rows: want statements of %d, %d and 1 rows, got %d statements", len(rows), maxRowsPerStatement, maxRowsPerStatement, len(*got))
	}
}
