package mysql

import (
	"context"
	"fmt"
	"strings"
)

// table compares one table and returns its result.
func (v *verifier) table(ctx context.Context, n tableName) TableResult {
	res := TableResult{Table: n.db + "." + n.table}
	if n.rdb != n.db || n.rtable != n.table {
		res.Table += " -> " + n.rdb + "." + n.rtable
	}
	log := v.log.With("table", res.Table)
	switch {
	case !n.onSrc:
		var rows int64
		if err := v.rep.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteTable(n.rdb, n.rtable)).Scan(&rows); err != nil {
			res.Err = err
			return res
		}
		res.Extra, res.Note = rows, "only on the replica (the sink never drops tables; drop it there if it is not needed)"
		return res
	case !n.onRep:
		return v.absentOnReplica(ctx, n, res)
	}
	def, err := loadTable(ctx, v.src, n.db, n.table)
	if err != nil {
		res.Err = fmt.Errorf("source: %w", err)
		return res
	}
	repDef, err := loadTable(ctx, v.rep, n.rdb, n.rtable)
	if err != nil {
		res.Err = fmt.Errorf("replica: %w", err)
		return res
	}
	t := newVTable(def, v.rep, n.rdb, n.rtable)
	if note := columnsDiffer(t, newVTable(repDef, v.rep, n.rdb, n.rtable)); note != "" {
		res.Note = note
		return res
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
func (v *verifier) absentOnReplica(ctx context.Context, n tableName, res TableResult) TableResult {
	var rows int64
	if err := v.src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteTable(n.db, n.table)).Scan(&rows); err != nil {
		res.Err = err
		return res
	}
	res.Rows = rows
	if rows == 0 {
		res.Note = noteEmptyAbsent
		return res
	}
	pos, err := v.fence.sourcePos(ctx)
	if err == nil {
		err = v.fence.wait(ctx, pos)
	}
	if err != nil {
		res.Err = err
		return res
	}
	if got, err := listTables(ctx, v.rep, tableFilter{n.rdb + "." + n.rtable}); err == nil && len(got) == 1 {
		n.onRep = true
		return v.table(ctx, n)
	}
	res.Missing, res.Note = rows, "missing on the replica"
	return res
}

// columnsDiffer says how the compared columns of the two sides differ, or "".
func columnsDiffer(src, rep *vtable) string {
	show := func(t *vtable) string {
		parts := make([]string, len(t.cols))
		for i, c := range t.cols {
			parts[i] = c.Name + " " + c.ColumnType
		}
		return strings.Join(parts, ", ")
	}
	a, b := show(src), show(rep)
	if a == b && strings.Join(src.def.PrimaryKey, ",") == strings.Join(rep.def.PrimaryKey, ",") {
		return ""
	}
	return fmt.Sprintf("columns differ: source (%s) primary key (%s), replica (%s) primary key (%s)",
		a, strings.Join(src.def.PrimaryKey, ", "), b, strings.Join(rep.def.PrimaryKey, ", "))
}

// count fills the counts and example keys of res from diffs.
func (v *verifier) count(res *TableResult, t *vtable, diffs []rowDiff) {
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

// String is the table's line of the report: "db.t: equal (N rows)" or
// "db.t: differs: 1 missing, 0 extra, 2 changed (of N rows); missing: id=5; ...".
func (r TableResult) String() string {
	var b strings.Builder
	b.WriteString(r.Table + ": ")
	switch {
	case r.Err != nil:
		fmt.Fprintf(&b, "error: %v", r.Err)
		return b.String()
	case r.Equal():
		fmt.Fprintf(&b, "equal (%d rows)", r.Rows)
		if r.Note != "" {
			b.WriteString("; " + r.Note)
		}
	case r.Note != "":
		fmt.Fprintf(&b, "differs: %s", r.Note)
		if r.Missing+r.Extra > 0 {
			fmt.Fprintf(&b, " (%d missing, %d extra rows)", r.Missing, r.Extra)
		}
	default:
		fmt.Fprintf(&b, "differs: %d missing, %d extra, %d changed (of %d rows)", r.Missing, r.Extra, r.Changed, r.Rows)
		for _, k := range []struct {
			name string
			n    int64
			keys []string
		}{{kindMissing, r.Missing, r.MissingKeys}, {kindExtra, r.Extra, r.ExtraKeys}, {kindChanged, r.Changed, r.ChangedKeys}} {
			if len(k.keys) == 0 {
				continue
			}
			more := ""
			if k.n > int64(len(k.keys)) {
				more = ", ..."
			}
			fmt.Fprintf(&b, "; %s: %s%s", k.name, strings.Join(k.keys, " "), more)
		}
	}
	if r.Repaired > 0 {
		fmt.Fprintf(&b, "; repaired %d of %d differing rows", r.Repaired, r.Found)
	}
	if r.Unsettled > 0 {
		fmt.Fprintf(&b, "; %d rows kept changing at the source and were not verified", r.Unsettled)
	}
	return b.String()
}

// Summary is the sink's last line of the report.
func (v *VerifyResult) Summary() string {
	var equal, differ, failed int
	for i := range v.Tables {
		switch t := &v.Tables[i]; {
		case t.Err != nil:
			failed++
		case t.Equal():
			equal++
		default:
			differ++
		}
	}
	s := fmt.Sprintf("%d tables: %d equal, %d differ", len(v.Tables), equal, differ)
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	secs := v.Duration.Seconds()
	return s + fmt.Sprintf("; %d rows compared in %.2fs (%.0f rows/s)", v.Rows, secs, float64(v.Rows)/max(secs, 1e-3))
}
