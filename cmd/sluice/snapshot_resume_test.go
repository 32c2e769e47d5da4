package main

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// editConfig replaces old by new in the config file at path.
func editConfig(t testing.TB, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("config %s lacks %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fillTable inserts rows [from, to) of a table (id INT, label, qty).
func fillTable(t testing.TB, db *sql.DB, table string, from, to int) {
	t.Helper()
	for lo := from; lo < to; lo += 5000 {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for i := lo; i < min(lo+5000, to); i++ {
			if i > lo {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, 'item %d', %d)", i, i, i%17)
		}
		mustExec(t, db, b.String())
	}
}

// logInts returns the integer values of key= on the log lines holding all
// of the words.
func logInts(log, key string, words ...string) []int {
	re := regexp.MustCompile(`\b` + key + `=(\d+)`)
	var out []int
	for _, line := range strings.Split(log, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if m := re.FindStringSubmatch(line); ok && m != nil {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	return out
}

// TestSnapshotResume kills sluice in the middle of a parallel initial
// snapshot of two tables, changes rows already copied, and restarts it:
// the snapshot continues after the last acknowledged chunk of each table
// (the rows read after the restart plus those recorded before it are each
// table's rows exactly: no chunk was read twice), and the replica ends
// equal to the source.
func TestSnapshotResume(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	execAll(t, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.items (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL);\n"+
		"CREATE TABLE shop.parts (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL, qty INT NOT NULL)")
	const total = 20000
	fillTable(t, sdb, "shop.items", 0, total)
	fillTable(t, sdb, "shop.parts", 0, total)
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	editConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 100\n    snapshot_parallelism: 2\n")
	// 20 ms after each 100-row chunk: the snapshot takes at least 4 s, so
	// the kill below lands in its middle however fast it reads.
	t.Setenv("SLUICE_TEST_SNAPSHOT_CHUNK_DELAY", "20ms")
	p := startProc(t, "sluice.log", "run", "--config", cfg)

	// Kill once the replica holds part of the snapshot and a checkpoint
	// recorded some progress (saved about every half second).
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if replicaHasTable(ddb, "shop.items") {
			_ = ddb.QueryRow("SELECT COUNT(*) FROM shop.items").Scan(&n)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot rows reached the replica in 60s:\n%s", tail(p.logText(), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // two checkpoint saves: the first rows can reach the replica before one
	p.kill()
	first := p.logText()
	if strings.Contains(first, "snapshot done") {
		t.Fatalf("the kill landed after the snapshot finished; the test needs a bigger table")
	}
	if !strings.Contains(first, "parallelism=2") {
		t.Errorf("the snapshot did not copy two tables at once:\n%s", tail(first, 20))
	}
	// Rows already copied change while sluice is down: the stream from the
	// snapshot's position carries that.
	mustExec(t, sdb, "DELETE FROM shop.items WHERE id < 50")
	mustExec(t, sdb, "UPDATE shop.parts SET qty = qty + 1000 WHERE id < 100")
	// The resumed snapshot at full speed, in bigger chunks (it goes on
	// from the recorded key, whatever the chunk size).
	os.Unsetenv("SLUICE_TEST_SNAPSHOT_CHUNK_DELAY")
	editConfig(t, cfg, "snapshot_chunk_size: 100\n", "snapshot_chunk_size: 2000\n")
	p.start()
	waitEqual(t, sdb, ddb, 120*time.Second, []*proc{p}, "shop.items", "shop.parts")
	log := p.logText()[len(first):]
	if !strings.Contains(log, "previous snapshot did not finish: resuming it") {
		t.Fatalf("the restart did not resume the snapshot:\n%s", tail(log, 30))
	}
	done := logInts(log, "rows_done", "resuming it")
	if len(done) != 1 || done[0] == 0 {
		t.Fatalf("the restart resumed with rows_done %v; want some rows recorded before the kill:\n%s", done, tail(log, 30))
	}
	// Every resumed table's count (recorded before + read after) is its size
	// when it was finished: ids 0..49 of items were deleted before they could
	// be read again, and no chunk was read twice.
	for _, tb := range []string{"shop.items", "shop.parts"} {
		rows := logInts(log, "rows", "incremental snapshot table done", "table="+tb+" ")
		if len(rows) > 1 || (len(rows) == 1 && rows[0] != total) {
			t.Errorf("%s: resumed snapshot counted %v rows, want %d (before the kill plus after the restart)", tb, rows, total)
		}
	}
	t.Logf("killed with %d rows recorded; resumed and converged", done[0])
	showLog(t, p)
}
