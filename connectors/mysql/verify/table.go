package verify

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"sort"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// Drill-down shape: a differing range of more than rowLevelRows rows is
// split into splitWays sub-ranges; smaller ones are compared row by row.
const (
	rowLevelRows = 1000
	splitWays    = 16
	// maxRowRounds bounds the rounds of the row protocol when rows keep
	// changing at the source.
	maxRowRounds = 5
	// chunkRounds bounds the rounds of settle before it drills into chunks
	// that keep changing; leavesPerRound is how many small ranges one row
	// round reads together (one wait for the sink per round).
	chunkRounds    = 2
	leavesPerRound = 16
)

// Kinds of row difference.
const (
	kindMissing = "missing" // on the source, not on the replica
	kindExtra   = "extra"   // on the replica, not on the source
	kindChanged = "changed" // on both, with different values
)

// rowDiff is a row confirmed to differ.
type rowDiff struct {
	kind    string
	key     [][]byte
	srcHash uint64 // the source row's hash when confirmed (0 for extra)
	rng     keyRange
}

// tableRun compares one table of one sink.
type tableRun struct {
	v     *verifier
	t     *vtable
	rows  int64 // source rows compared
	diffs []rowDiff
	// leaves are ranges of at most rowLevelRows rows still to compare by row.
	leaves []keyRange
	// unsettled counts rows that kept changing at the source through every
	// round of the row protocol: neither reported nor verified.
	unsettled int64
}

// run walks the table in chunks of chunkRows source rows, comparing both
// sides at once, then settles the chunks that differed (see settle).
func (tr *tableRun) run(ctx context.Context) error {
	var pending []keyRange
	var lo []any
	for {
		hi, err := tr.t.boundary(ctx, tr.v.src, keyRange{lo: lo}, tr.v.opts.ChunkRows)
		if err != nil {
			return err
		}
		r := keyRange{lo: lo, hi: hi}
		src, rep, err := tr.sums(ctx, r)
		if err != nil {
			return err
		}
		tr.rows += src.rows
		tr.v.progress(src.rows)
		if src != rep {
			pending = append(pending, r)
		}
		if hi == nil {
			break
		}
		lo = hi
	}
	return tr.settle(ctx, pending)
}

// sums checksums r on both sides at once.
func (tr *tableRun) sums(ctx context.Context, r keyRange) (src, rep sum, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { src, err = tr.t.sum(gctx, tr.v.src, r); return err })
	g.Go(func() (err error) { rep, err = tr.t.sum(gctx, tr.v.rep, r); return err })
	err = g.Wait()
	return src, rep, err
}

// settle decides the chunks that differed when both sides were read at
// once; most such differences are the sink's lag. In rounds, for all
// pending chunks together: checksum them on the source, read the source
// position P, wait until the sink has applied P, checksum them on the
// replica, and on the source again. A chunk equal on the replica is equal;
// one that differs while its source checksum held still is drilled into;
// one whose source changed goes to the next round. After maxRowRounds
// rounds the chunks still changing are drilled into too, where the row
// protocol sorts out which rows really differ.
func (tr *tableRun) settle(ctx context.Context, pending []keyRange) error {
	var differ []keyRange
	for round := 0; len(pending) > 0 && round < chunkRounds; round++ {
		src1, err := tr.sideSums(ctx, tr.v.src, pending)
		if err != nil {
			return err
		}
		if err := tr.v.fence.caughtUp(ctx); err != nil {
			return err
		}
		rep, err := tr.sideSums(ctx, tr.v.rep, pending)
		if err != nil {
			return err
		}
		src2, err := tr.sideSums(ctx, tr.v.src, pending)
		if err != nil {
			return err
		}
		var next []keyRange
		for i, r := range pending {
			switch {
			case rep[i] == src1[i]:
			case src1[i] == src2[i]:
				differ = append(differ, r)
			default:
				next = append(next, r)
			}
		}
		pending = next
	}
	for _, r := range append(differ, pending...) {
		src, rep, err := tr.sums(ctx, r)
		if err != nil {
			return err
		}
		if err := tr.drill(ctx, r, max(src.rows, rep.rows)); err != nil {
			return err
		}
	}
	for len(tr.leaves) > 0 {
		n := min(len(tr.leaves), leavesPerRound)
		if err := tr.compareRows(ctx, tr.leaves[:n]); err != nil {
			return err
		}
		tr.leaves = tr.leaves[n:]
	}
	return nil
}

// sideSums checksums ranges on one side.
func (tr *tableRun) sideSums(ctx context.Context, db *sql.DB, ranges []keyRange) ([]sum, error) {
	out := make([]sum, len(ranges))
	for i, r := range ranges {
		var err error
		if out[i], err = tr.t.sum(ctx, db, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// drill narrows a differing range down to ranges of at most rowLevelRows
// rows, which it adds to tr.leaves for compareRows.
func (tr *tableRun) drill(ctx context.Context, r keyRange, n int64) error {
	if n <= rowLevelRows {
		tr.leaves = append(tr.leaves, r)
		return nil
	}
	step := max(int(n/splitWays), 1)
	lo := r.lo
	for {
		hi, err := tr.t.boundary(ctx, tr.v.src, keyRange{lo: lo, hi: r.hi}, step)
		if err != nil {
			return err
		}
		sub := keyRange{lo: lo, hi: hi}
		if hi == nil {
			sub.hi = r.hi
		}
		src, rep, err := tr.sums(ctx, sub)
		if err != nil {
			return err
		}
		if src != rep {
			if m := max(src.rows, rep.rows); m < n {
				if err := tr.drill(ctx, sub, m); err != nil {
					return err
				}
			} else {
				tr.leaves = append(tr.leaves, sub) // cannot narrow further by source keys
			}
		}
		if hi == nil {
			return nil
		}
		lo = hi
	}
}

// compareRows finds the rows of ranges that differ. Each round reads the
// source's rows (and hashes), then the source position P, waits until the
// sink has applied P, reads the replica's rows, and reads the source's rows
// again. A row that is the same in both source reads did not change while
// the replica was read, and the replica was read at a point at or after P,
// so a difference there is real. A row is reported only when it differs
// the same way in two rounds; rows still changing after maxRowRounds are
// counted as unsettled.
func (tr *tableRun) compareRows(ctx context.Context, ranges []keyRange) error {
	var confirmed map[string]rowDiff
	for round := 1; round <= maxRowRounds; round++ {
		cur, unstable, err := tr.rowRound(ctx, ranges)
		if err != nil {
			return err
		}
		if confirmed == nil {
			confirmed = cur
		} else {
			for k, d := range confirmed {
				if c, ok := cur[k]; !ok || c.kind != d.kind || c.srcHash != d.srcHash {
					delete(confirmed, k)
				}
			}
		}
		if len(confirmed) == 0 && unstable == 0 {
			return nil
		}
		if round >= 2 && unstable == 0 {
			break
		}
		if round == maxRowRounds {
			tr.unsettled += int64(unstable)
		}
	}
	start := len(tr.diffs)
	for _, d := range confirmed {
		tr.diffs = append(tr.diffs, d)
	}
	added := tr.diffs[start:]
	sort.Slice(added, func(i, j int) bool { return compareKeys(added[i].key, added[j].key) < 0 })
	return nil
}

// compareKeys orders primary keys for reports: numbers by value, anything
// else by bytes.
func compareKeys(a, b [][]byte) int {
	for i := range min(len(a), len(b)) {
		x, errX := strconv.ParseFloat(string(a[i]), 64)
		y, errY := strconv.ParseFloat(string(b[i]), 64)
		if errX == nil && errY == nil && x != y {
			return cmp.Compare(x, y)
		}
		if c := bytes.Compare(a[i], b[i]); c != 0 && (errX != nil || errY != nil) {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// rowRound is one round of compareRows: the rows that differ while stable
// at the source, and how many differing rows changed at the source.
func (tr *tableRun) rowRound(ctx context.Context, ranges []keyRange) (map[string]rowDiff, int, error) {
	src1, err := tr.rangeHashes(ctx, tr.v.src, ranges)
	if err != nil {
		return nil, 0, err
	}
	if err := tr.v.fence.caughtUp(ctx); err != nil {
		return nil, 0, err
	}
	rep, err := tr.rangeHashes(ctx, tr.v.rep, ranges)
	if err != nil {
		return nil, 0, err
	}
	src2, err := tr.rangeHashes(ctx, tr.v.src, ranges)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]rowDiff{}
	unstable := 0
	check := func(k string, row rangeRow) {
		s1, in1 := src1[k]
		s2, in2 := src2[k]
		rp, inR := rep[k]
		if in1 == inR && (!in1 || s1.hash == rp.hash) {
			return // equal at the replica's read
		}
		if in1 != in2 || in1 && s1.hash != s2.hash {
			unstable++
			return
		}
		d := rowDiff{key: row.key, srcHash: s1.hash, rng: ranges[row.ri]}
		switch {
		case !inR:
			d.kind = kindMissing
		case !in1:
			d.kind = kindExtra
		default:
			d.kind = kindChanged
		}
		out[k] = d
	}
	for k, s := range src1 {
		check(k, s)
	}
	for k, s := range rep {
		if _, ok := src1[k]; !ok {
			check(k, s)
		}
	}
	return out, unstable, nil
}

// rangeRow is a row of one of several ranges: its key, hash and range index.
type rangeRow struct {
	rowHash
	ri int
}

// rangeHashes reads the rows of disjoint ranges on one side.
func (tr *tableRun) rangeHashes(ctx context.Context, db *sql.DB, ranges []keyRange) (map[string]rangeRow, error) {
	out := map[string]rangeRow{}
	for i, r := range ranges {
		rows, err := tr.t.rowHashes(ctx, db, r)
		if err != nil {
			return nil, err
		}
		for k, h := range rows {
			out[k] = rangeRow{rowHash: h, ri: i}
		}
	}
	return out, nil
}
