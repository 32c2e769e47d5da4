package verify

import (
	"context"
	"database/sql"
	"fmt"
	"maps"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

// A table without a primary key has no key ranges to walk and no key to
// name a row by, and may hold identical rows. It is compared whole, as a
// multiset: the count of each row hash on both sides (so two copies of a
// row are not one). Like settle, in rounds: count the source, read its
// position, wait for the sink to apply it, count the replica and the
// source again; a source that held still decides. The counts are held in
// memory, one entry per distinct row. repair does not rewrite such
// tables: there is no key to write a row by; the note says how to copy it.

// keylessTable compares t, a table without a key, into res.
func (v *verifier) keylessTable(ctx context.Context, t *vtable, res connector.TableResult) connector.TableResult {
	for round := 0; round < maxRowRounds; round++ {
		src1, err := t.multiset(ctx, v.src)
		if err != nil {
			res.Err = err
			return res
		}
		if err := v.fence.caughtUp(ctx); err != nil {
			res.Err = err
			return res
		}
		rep, err := t.multiset(ctx, v.rep)
		if err != nil {
			res.Err = err
			return res
		}
		src2, err := t.multiset(ctx, v.src)
		if err != nil {
			res.Err = err
			return res
		}
		if !maps.Equal(src1, src2) && round < maxRowRounds-1 {
			continue // the source changed meanwhile
		}
		res.Rows = 0
		for h, n := range src2 {
			res.Rows += n
			if r := rep[h]; r < n {
				res.Missing += n - r
			}
		}
		for h, n := range rep {
			if s := src2[h]; s < n {
				res.Extra += n - s
			}
		}
		if !maps.Equal(src1, src2) {
			res.Unsettled = res.Missing + res.Extra
			res.Missing, res.Extra = 0, 0
		}
		if !res.Equal() {
			res.Note = fmt.Sprintf("table without a primary key: rows compared by all their values; copy it again with sluice snapshot --table %s "+
				"(verify --repair does not rewrite tables without a key)", t.def.Name())
			v.log.Warn("table differs", "table", t.def.Name(), "missing", res.Missing, "extra", res.Extra)
		}
		return res
	}
	return res
}

// multiset returns how many rows of each hash t holds on db's side.
func (t *vtable) multiset(ctx context.Context, db *sql.DB) (map[uint64]int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+t.hash+", COUNT(*) FROM "+t.from(db)+" GROUP BY 1")
	if err != nil {
		return nil, fmt.Errorf("row hashes of %s: %w", t.def.Name(), err)
	}
	defer rows.Close()
	out := map[uint64]int64{}
	for rows.Next() {
		var h uint64
		var n int64
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("row hashes of %s: %w", t.def.Name(), err)
		}
		out[h] += n
	}
	return out, rows.Err()
}
