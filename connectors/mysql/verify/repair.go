package verify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// repairBatch is the most rows one repair transaction rewrites.
const repairBatch = 100

// repair rewrites the rows of diffs on the replica from the source and
// returns how many it rewrote. Each batch runs in one replica transaction
// that first locks the sink's checkpoint row, which the sink updates in
// every commit: the sink cannot commit while the batch writes, and every
// change it applies afterwards comes after the position it had reached.
// Under that lock each row is read again from the source and written only
// if the source still holds the version that was found different (a row
// that changed since is left to the sink, which will apply that change).
// A deadlock with the sink's transaction is retried.
func (v *verifier) repair(ctx context.Context, t *vtable, diffs []rowDiff) (int64, error) {
	var total int64
	for len(diffs) > 0 {
		b := diffs[:min(repairBatch, len(diffs))]
		diffs = diffs[len(b):]
		for attempt := 0; ; attempt++ {
			n, err := v.repairBatch(ctx, t, b)
			var me *drv.MySQLError
			if errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205) && attempt < 5 {
				continue // deadlock or lock wait timeout with the sink
			}
			if err != nil {
				return total, err
			}
			total += n
			break
		}
	}
	return total, nil
}

func (v *verifier) repairBatch(ctx context.Context, t *vtable, diffs []rowDiff) (int64, error) {
	tx, err := v.rep.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := v.fence.ck.Lock(ctx, tx); err != nil {
		return 0, err
	}
	keys := make([][][]byte, len(diffs))
	for i, d := range diffs {
		keys[i] = d.key
	}
	cur, err := v.sourceRows(ctx, t, keys)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, d := range diffs {
		row, ok := cur[rowKey(d.key)]
		switch {
		case d.kind == kindExtra && !ok:
			err = v.deleteRow(ctx, tx, t, d.key)
		case d.kind != kindExtra && ok && row.hash == d.srcHash:
			err = v.upsertRow(ctx, tx, t, row.args)
		default:
			continue // changed at the source since: the sink brings it
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, tx.Commit()
}

// sourceRow is a source row read for repair: its hash and statement
// arguments for t.cols.
type sourceRow struct {
	hash uint64
	args []any
}

// sourceRows reads the rows with the given keys from the source.
func (v *verifier) sourceRows(ctx context.Context, t *vtable, keys [][][]byte) (map[string]sourceRow, error) {
	conds := make([]string, len(t.qpk))
	for i, k := range t.qpk {
		conds[i] = k + " = ?"
	}
	one := "(" + strings.Join(conds, " AND ") + ")"
	ors := make([]string, len(keys))
	var args []any
	for i, key := range keys {
		ors[i] = one
		for j, c := range t.pk {
			args = append(args, keyset.Arg(c, key[j]))
		}
	}
	sel := make([]string, 0, len(t.pk)+1+len(t.cols))
	sel = append(sel, t.qpk...)
	sel = append(sel, t.hash)
	for _, c := range t.cols {
		sel = append(sel, value.SelectExpr(c, dbconn.QuoteIdent(c.Name)))
	}
	rows, err := v.src.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+t.qname+" WHERE "+strings.Join(ors, " OR "), args...)
	if err != nil {
		return nil, fmt.Errorf("read %s from the source: %w", t.def.Name(), err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(sel))
	ptrs := make([]any, len(sel))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	out := map[string]sourceRow{}
	for rows.Next() {
		var hash uint64
		ptrs[len(t.pk)] = &hash
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		key := make([][]byte, len(t.pk))
		for i := range t.pk {
			key[i] = append([]byte(nil), raw[i]...)
		}
		r := sourceRow{hash: hash}
		for i, c := range t.cols {
			val, err := value.FromText(c, raw[len(t.pk)+1+i])
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", t.def.Name(), t.showKey(key), err)
			}
			// The sink's path: the envelope's JSON value, then sqlArg.
			b, err := json.Marshal(val)
			if err != nil {
				return nil, err
			}
			a, err := keyset.SQLArg(c, json.RawMessage(b))
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", t.def.Name(), t.showKey(key), err)
			}
			r.args = append(r.args, a)
		}
		out[rowKey(key)] = r
	}
	return out, rows.Err()
}

func (v *verifier) upsertRow(ctx context.Context, tx *sql.Tx, t *vtable, args []any) error {
	names := make([]string, len(t.cols))
	updates := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = dbconn.QuoteIdent(c.Name)
		updates[i] = names[i] + " = VALUES(" + names[i] + ")"
	}
	q := "INSERT INTO " + t.rname + " (" + strings.Join(names, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ") ON DUPLICATE KEY UPDATE " + strings.Join(updates, ", ")
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("repair %s: %w", t.def.Name(), err)
	}
	return nil
}

func (v *verifier) deleteRow(ctx context.Context, tx *sql.Tx, t *vtable, key [][]byte) error {
	conds := make([]string, len(t.qpk))
	args := make([]any, len(t.qpk))
	for i, k := range t.qpk {
		conds[i] = k + " = ?"
		args[i] = keyset.Arg(t.pk[i], key[i])
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.rname+" WHERE "+strings.Join(conds, " AND "), args...); err != nil {
		return fmt.Errorf("repair %s: %w", t.def.Name(), err)
	}
	return nil
}

// recheck compares the ranges that held diffs again, after a repair, and
// returns the rows that still differ.
func (v *verifier) recheck(ctx context.Context, t *vtable, diffs []rowDiff) ([]rowDiff, error) {
	tr := &tableRun{v: v, t: t}
	seen := map[string]bool{}
	var ranges []keyRange
	for _, d := range diffs {
		k := fmt.Sprint(d.rng.lo, "|", d.rng.hi)
		if !seen[k] {
			seen[k] = true
			ranges = append(ranges, d.rng)
		}
	}
	for len(ranges) > 0 {
		n := min(len(ranges), leavesPerRound)
		if err := tr.compareRows(ctx, ranges[:n]); err != nil {
			return nil, err
		}
		ranges = ranges[n:]
	}
	return tr.diffs, nil
}
