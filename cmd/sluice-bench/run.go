package main

import (
	"fmt"
	"os"
	"time"
)

// runWorkload runs one workload end to end on fresh servers:
//
//  1. start the source and the sluice replica, create the workload's empty
//     tables on the source;
//  2. start sluice once (snapshot: never records the source's current
//     position, which is before any row of the workload) and stop it;
//  3. generate the workload, then write the marker row as the source's
//     last transaction;
//  4. replay into a fresh replica with one SQL thread, then into another
//     with two optimistic parallel threads, then start sluice again;
//  5. compare every replica with the source.
func runWorkload(c config, name string, wl workload) (*result, error) {
	dir := subdir(c.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	src, err := startServer(c, subdir(dir, "source"))
	if err != nil {
		return nil, err
	}
	defer src.stop(c.keep)
	dst, err := startServer(c, subdir(dir, "replica-sluice"))
	if err != nil {
		return nil, err
	}
	defer dst.stop(c.keep)

	if _, err := src.db.Exec(schema + ";\n" + wl.ddl); err != nil {
		return nil, err
	}
	p, err := newPipeline(c, subdir(dir, "sluice"), src, dst, wl.dbs, c.profiled(name))
	if err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	if err := p.waitReady(60 * time.Second); err != nil {
		_ = p.stop()
		return nil, fmt.Errorf("pinning sluice at the source's start: %w", err)
	}
	if err := p.stop(); err != nil {
		return nil, fmt.Errorf("stopping the pinning sluice run: %w", err)
	}

	r := &result{name: name}
	genStart := time.Now()
	if r.txs, err = wl.gen(src); err != nil {
		return nil, err
	}
	if _, err := src.db.Exec("INSERT INTO bench.marker VALUES (1, NOW(6))"); err != nil {
		return nil, err
	}
	r.generateTime = time.Since(genStart)
	endFile, endPos, err := binlogEnd(src.db)
	if err != nil {
		return nil, err
	}
	if _, r.binlogBytes, err = binlogFiles(src.db); err != nil {
		return nil, err
	}
	fmt.Printf("  generated in %s; source binlog ends at %s:%d\n", r.generateTime.Round(time.Millisecond), endFile, endPos)
	if r.parseRows, r.parseRate, err = parseBaseline(src); err != nil {
		return nil, fmt.Errorf("go-mysql parse baseline: %w", err)
	}
	fmt.Printf("  go-mysql BinlogParser alone: %d row changes, %.0f rows/s\n", r.parseRows, r.parseRate)

	var eq string
	if r.native, eq, r.cpuNative, err = replayNative(c, src, subdir(dir, "replica-native"), 0, endFile, endPos, wl.dbs); err != nil {
		return nil, fmt.Errorf("native replay: %w", err)
	}
	r.equal = append(r.equal, "native "+eq)
	fmt.Printf("  native, 1 SQL thread: %s (%s)\n", r.native.Round(time.Millisecond), eq)
	if r.nativePar, eq, r.cpuNativePar, err = replayNative(c, src, subdir(dir, "replica-native-par"), 2, endFile, endPos, wl.dbs); err != nil {
		return nil, fmt.Errorf("native parallel replay: %w", err)
	}
	r.equal = append(r.equal, "parallel "+eq)
	fmt.Printf("  native, 2 threads optimistic: %s (%s)\n", r.nativePar.Round(time.Millisecond), eq)

	var prof *profiler
	if c.profiled(name) {
		prof = &profiler{dir: c.profileDir, seconds: c.profileSecs, bin: c.sluiceBin, name: name}
	}
	cu, err := p.replaySluice(src, dst, c.replayTimeout, prof)
	if err != nil {
		_ = p.stop()
		return nil, fmt.Errorf("sluice replay: %w", err)
	}
	if err := p.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench: stopping sluice:", err)
	}
	r.sinkCommits, r.flushes, r.flushSecs = cu.commits, cu.flushes, cu.flushSecs
	r.sluice, r.sluiceReadEnd, r.sluiceFirst = cu.total, cu.readEnd, cu.firstPub
	r.rssSrc, r.rssSink, r.rssBroker, r.profiles = cu.rssSrc, cu.rssSink, cu.rssBroker, cu.profiles
	r.cpuSluice, r.sinkPhases = cu.cpu, cu.sinkPhases
	r.rows = int64(cu.published) - 1 // less the marker row
	if int64(cu.published) != r.parseRows {
		r.equal = append(r.equal, fmt.Sprintf("published DIFF(sluice published %.0f row changes, the binlog holds %d)", cu.published, r.parseRows))
	}
	// Rates run from the first row published, leaving out startup.
	r.readerRate = cu.published / (cu.readEnd - cu.firstPub).Seconds()
	r.sinkRate = cu.applied / (cu.total - cu.firstPub).Seconds()
	if eq, err = compare(src.db, dst.db, wl.dbs); err != nil {
		return nil, err
	}
	r.equal = append(r.equal, "sluice "+eq)
	fmt.Printf("  sluice: %s (%s)\n", r.sluice.Round(time.Millisecond), eq)
	return r, nil
}
