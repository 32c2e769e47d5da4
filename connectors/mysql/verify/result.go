package verify

import (
	"context"
	"fmt"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// table compares one table and returns its result.
func (v *verifier) table(ctx context.Context, n tableName) connector.TableResult {
	res := connector.TableResult{Table: n.db + "." + n.table}
	if n.rdb != n.db || n.rtable != n.table {
		res.Table += " -> " + n.rdb + "." + n.rtable
	}
	log := v.log.With("table", res.Table)
	switch {
	case !n.onSrc:
		var rows int64
		if err := v.rep.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+dbconn.QuoteTable(n.rdb, n.rtable)).Scan(&rows); err != nil {
			res.Err = err
			return res
		}
		res.Extra, res.Note = rows, "only on the replica (the sink never drops tables; drop it there if it is not needed)"
		return res
	case !n.onRep:
		return v.absentOnReplica(ctx, n, res)
	}
	def, err := catalog.LoadTable(ctx, v.src, n.db, n.table)
	if err != nil {
		res.Err = fmt.Errorf("source: %w", err)
		return res
	}
	repDef, err := catalog.LoadTable(ctx, v.rep, n.rdb, n.rtable)
	if err != nil {
		res.Err = fmt.Errorf("replica: %w", err)
		return res
	}
	srcColl, err := tableCollation(ctx, v.src, n.db, n.table)
	if err != nil {
		res.Err = fmt.Errorf("source: %w", err)
		return res
	}
	repColl, err := tableCollation(ctx, v.rep, n.rdb, n.rtable)
	if err != nil {
		res.Err = fmt.Errorf("replica: %w", err)
		return res
	}
	t := newVTable(def, v.rep, n.rdb, n.rtable)
	if note := definitionsDiffer(tableDef{def, srcColl}, tableDef{repDef, repColl}, t.rname); note != "" {
		res.Note = note
		log.Warn("table definitions differ", "note", note)
		return res
	}
	if len(def.PrimaryKey) == 0 {
		return v.keylessTable(ctx, t, res) // keyless.go
	}
	tr := &tableRun{v: v, t: t}
	if err := tr.run(ctx); err != nil {
		res.Err = err
		res.Rows = tr.rows
		return res
	}
	res.Rows, res.Unsettled, res.Found = tr.rows, tr.unsettled, int64(len(tr.diffs))
	if v.opts.Repair && len(tr.diffs) > 0 {
		n, err := v.repair(ctx, t, tr.diffs)
		res.Repaired = n
		if err != nil {
			res.Err = fmt.Errorf("repair: %w", err)
			return res
		}
		log.Info("repaired rows; comparing them again", "rows", n)
		if tr.diffs, err = v.recheck(ctx, t, tr.diffs); err != nil {
			res.Err = fmt.Errorf("compare after repair: %w", err)
			return res
		}
	}
	v.count(&res, t, tr.diffs)
	if !res.Equal() {
		log.Warn("table differs", "missing", res.Missing, "extra", res.Extra, "changed", res.Changed)
	}
	return res
}

// absentOnReplica handles a source table the replica lacks: equal while
// the source table is empty (the sink creates tables with their first
// row), else every source row is missing.
func (v *verifier) absentOnReplica(ctx context.Context, n tableName, res connector.TableResult) connector.TableResult {
	var rows int64
	if err := v.src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+dbconn.QuoteTable(n.db, n.table)).Scan(&rows); err != nil {
		res.Err = err
		return res
	}
	res.Rows = rows
	if rows == 0 {
		res.Note = connector.NoteEmptyAbsent
		return res
	}
	if err := v.fence.caughtUp(ctx); err != nil {
		res.Err = err
		return res
	}
	if got, err := catalog.ListTables(ctx, v.rep, catalog.Filter{n.rdb + "." + n.rtable}); err == nil && len(got) == 1 {
		n.onRep = true
		return v.table(ctx, n)
	}
	res.Missing, res.Note = rows, "missing on the replica"
	return res
}

// count fills the counts and example keys of res from diffs.
func (v *verifier) count(res *connector.TableResult, t *vtable, diffs []rowDiff) {
	for _, d := range diffs {
		var n *int64
		var keys *[]string
		switch d.kind {
		case kindMissing:
			n, keys = &res.Missing, &res.MissingKeys
		case kindExtra:
			n, keys = &res.Extra, &res.ExtraKeys
		default:
			n, keys = &res.Changed, &res.ChangedKeys
		}
		*n++
		if len(*keys) < v.opts.Examples {
			*keys = append(*keys, t.showKey(d.key))
		}
	}
}
