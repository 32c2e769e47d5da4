package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/difffuzz"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
)

// TestDifferentialFuzz runs seeded DDL and DML (pkg/testutil/difffuzz) on
// a source that has both a native MariaDB replica, the oracle, and a
// sluice replica. After each round every fuzzed table must be equal on
// the two replicas (definition, column character sets and collations,
// rows) or quarantined by sluice, and sluice must neither stop nor stall.
// A failure writes the history and a minimized reproduction to
// SLUICE_FUZZ_DIR (default bin/fuzz in the module) and fails the test.
//
// make test runs a short slice, 8 rounds from seed 1; make fuzz runs it for
// FUZZ_SECONDS from a new seed: SLUICE_FUZZ_SECONDS, SLUICE_FUZZ_ROUNDS,
// SLUICE_FUZZ_SEED, SLUICE_FUZZ_ROUND (statements per round),
// SLUICE_FUZZ_MINIMIZE_SECONDS, SLUICE_FUZZ_REPLAY (a history file to run
// again), SLUICE_FUZZ_DEBUG.
func TestDifferentialFuzz(t *testing.T) {
	// make test's slice is a fixed number of rounds, the same statements on
	// a fast machine and a loaded one; make fuzz runs for a time.
	seconds := e2e.EnvInt(t, "SLUICE_FUZZ_SECONDS", 600)
	maxRounds := e2e.EnvInt(t, "SLUICE_FUZZ_ROUNDS", 1<<30)
	if os.Getenv("SLUICE_FUZZ_SECONDS") == "" && os.Getenv("SLUICE_FUZZ_ROUNDS") == "" {
		maxRounds = 8
	}
	perRound := e2e.EnvInt(t, "SLUICE_FUZZ_ROUND", 12)
	seed := int64(e2e.EnvInt(t, "SLUICE_FUZZ_SEED", 1))
	t.Logf("seed %d (SLUICE_FUZZ_SEED=%d replays it), at most %d s and %d rounds, %d statements per round", seed, seed, seconds, maxRounds, perRound)
	e := newFuzzEnv(t)
	if path := os.Getenv("SLUICE_FUZZ_REPLAY"); path != "" {
		e.replay(t, path)
		return
	}
	g := difffuzz.NewGen(seed)
	if skip := os.Getenv("SLUICE_FUZZ_SKIP"); skip != "" { // for triage only: say so in the log
		g.Skip = strings.Split(skip, ",")
		t.Logf("classes left out (SLUICE_FUZZ_SKIP): %v", g.Skip)
	}
	st := difffuzz.NewStats()
	ctx := context.Background()

	history := []difffuzz.Stmt{setupStmt()}
	if err := difffuzz.Exec(ctx, e.sdb, history[0]); err != nil {
		t.Fatal(err)
	}
	reported := false
	defer func() { // a server that dies (a crash of MariaDB itself) fails the test at once: keep the history
		if t.Failed() && !reported {
			writeHistory(t, seed, history, "-- the test failed before a comparison: see its log\n")
		}
	}()
	restarts := 0
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	for round := 0; round == 0 || time.Now().Before(deadline) && st.Rounds < maxRounds; round++ {
		if round == 1 { // round 0 reaches the replica by the initial snapshot
			e.start()
			history = append(history, difffuzz.Stmt{Class: classStart})
		} else if round > 1 && round%6 == 0 {
			e.restart()
			restarts++
			history = append(history, difffuzz.Stmt{Class: classRestart})
		}
		for i := 0; i < perRound; i++ {
			cat, err := difffuzz.ReadCatalog(ctx, e.sdb)
			if err != nil {
				t.Fatal(err)
			}
			g.Cat = cat
			s := g.Next()
			err = difffuzz.Exec(ctx, e.sdb, s)
			st.Note(s, err)
			if err == nil || strings.HasPrefix(strings.ToUpper(s.SQL[0]), "CREATE OR REPLACE") || len(s.SQL) == 1 {
				history = append(history, s) // a refused DDL may still have done part of its work
			}
		}
		if round == 0 {
			continue
		}
		st.Rounds++
		var failure string
		var divs []difffuzz.Divergence
		if why := e.sync(90 * time.Second); why != "" {
			failure = why
		} else if divs = e.compare(st); len(divs) > 0 {
			failure = signature(divs[0])
		}
		if failure != "" {
			st.Divergences++
			reported = true
			e.report(t, seed, history, failure, divs)
			break
		}
	}
	t.Logf("differential fuzz, seed %d, %d sluice restarts:\n%s", seed, restarts, st.Table())
	if missing := st.Missing(); len(missing) > 0 && !t.Failed() && seconds >= 600 && maxRounds == 1<<30 {
		t.Errorf("classes never taken by the source in %d s: %v", seconds, missing)
	}
}

// fuzzDir is where a failure's files go: SLUICE_FUZZ_DIR, else bin/fuzz.
func fuzzDir(t *testing.T) string {
	dir := os.Getenv("SLUICE_FUZZ_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "fuzz")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeHistory writes history-<seed>.sql with header and returns its path.
func writeHistory(t *testing.T, seed int64, history []difffuzz.Stmt, header string) string {
	full := filepath.Join(fuzzDir(t), "history-"+strconv.FormatInt(seed, 10)+".sql")
	if err := os.WriteFile(full, []byte(header+difffuzz.Script(history)), 0o644); err != nil {
		t.Fatal(err)
	}
	return full
}

// report writes the history of a failure and its minimized reproduction
// and fails the test.
func (e *fuzzEnv) report(t *testing.T, seed int64, history []difffuzz.Stmt, failure string, divs []difffuzz.Divergence) {
	dir := fuzzDir(t)
	var what strings.Builder
	for _, d := range divs {
		fmt.Fprintln(&what, d)
	}
	if what.Len() == 0 {
		fmt.Fprintf(&what, "sluice %s; its last errors:\n%s\n", failure, lastErrors(e.p.Log()))
	}
	header := "-- seed " + strconv.FormatInt(seed, 10) + "\n-- " + strings.ReplaceAll(strings.TrimSpace(what.String()), "\n", "\n-- ") + "\n"
	full := writeHistory(t, seed, history, header)
	if err := os.WriteFile(filepath.Join(dir, "sluice-"+strconv.FormatInt(seed, 10)+".log"), []byte(e.p.Log()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Errorf("replicas diverged (%s); history in %s, sluice's log beside it:\n%s", failure, full, what.String())
	if got := e.outcome(history); got != failure {
		t.Errorf("replayed from nothing, the history ends %q, not %q: no reproduction; the replay's last errors:\n%s", got, failure, lastErrors(e.p.Log()))
		return
	}
	budget := time.Duration(e2e.EnvInt(t, "SLUICE_FUZZ_MINIMIZE_SECONDS", 240)) * time.Second
	setup := history[:1]
	min := difffuzz.Minimize(history[1:], func(h []difffuzz.Stmt) bool {
		return e.outcome(append(append([]difffuzz.Stmt{}, setup...), h...)) == failure
	}, budget)
	min = append(append([]difffuzz.Stmt{}, setup...), min...)
	repro := filepath.Join(dir, "repro-"+strconv.FormatInt(seed, 10)+".sql")
	if err := os.WriteFile(repro, []byte(header+"-- minimized from "+strconv.Itoa(len(history))+" statements\n"+difffuzz.Script(min)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Errorf("minimized reproduction (%d of %d statements) in %s:\n%s", len(min), len(history), repro, difffuzz.Script(min))
}

// lastErrors returns the last error and warning lines of a sluice log.
func lastErrors(log string) string {
	var errs []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") || strings.HasPrefix(l, "sluice: ") {
			errs = append(errs, l)
		}
	}
	return strings.Join(errs[max(0, len(errs)-5):], "\n")
}

// replay runs a history or reproduction file from nothing and fails with
// what it ends in, for working on one failure.
func (e *fuzzEnv) replay(t *testing.T, path string) {
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	history, err := difffuzz.ParseScript(string(text))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	got := e.outcome(history)
	if dir := os.Getenv("SLUICE_FUZZ_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "replay-sluice.log"), []byte(e.p.Log()), 0o644)
	}
	t.Logf("replayed %d units of %s; sluice's log:\n%s", len(history), path, e2e.Tail(e.p.Log(), 60))
	if got != "" {
		for _, db := range []*sql.DB{e.ndb, e.rdb} {
			var names []string
			rows, err := db.Query("SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME, ' ', TABLE_ROWS, ' ', CREATE_TIME) FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE 'fz%' ORDER BY 1")
			if err == nil {
				for rows.Next() {
					var n string
					_ = rows.Scan(&n)
					names = append(names, n)
				}
				rows.Close()
			}
			t.Logf("tables: %v", names)
		}
		var divs []difffuzz.Divergence
		if !strings.HasPrefix(got, "st") { // not stopped or stalled
			divs = e.compare(difffuzz.NewStats())
		}
		t.Errorf("the replay of %s ends %q", path, got)
		e.report(t, 0, history, got, divs) // confirm, then minimize
	}
}

// TestFuzzRegressions replays, from nothing, each minimized reproduction
// the fuzzer found (testdata/fuzz/*.sql): the two replicas must end equal.
func TestFuzzRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reproductions in testdata/fuzz (%v)", err)
	}
	e := newFuzzEnv(t)
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		history, err := difffuzz.ParseScript(string(text))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := e.outcome(history); got != "" {
			t.Errorf("%s ends %q; sluice's last errors:\n%s", f, got, lastErrors(e.p.Log()))
		}
	}
}
