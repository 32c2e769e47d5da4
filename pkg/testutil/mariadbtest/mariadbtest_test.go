package mariadbtest_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
	"github.com/sluice-cdc/sluice/pkg/testutil/ports"
)

// queryRow scans one row of strings.
func queryRow(t *testing.T, db *sql.DB, query string, n int) []string {
	t.Helper()
	vals := make([]string, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := db.QueryRow(query).Scan(ptrs...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return vals
}

func TestCommittedRowSurvivesKill(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{})
	db := s.DB(t)

	got := queryRow(t, db, "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id", 4)
	if got[0] != "1" || got[1] != "ROW" || got[2] != "FULL" || got[3] != strconv.FormatUint(uint64(s.ServerID), 10) {
		t.Fatalf("log_bin, binlog_format, binlog_row_image, server_id = %q, want 1 ROW FULL %d", got, s.ServerID)
	}
	s.Exec(t,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
		"INSERT INTO shop.t VALUES (1, 'kept')",
	)
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err == nil {
		t.Fatal("ping after Kill succeeded")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := queryRow(t, db, "SELECT v FROM shop.t WHERE id = 1", 1); got[0] != "kept" {
		t.Fatalf("row after restart = %q, want kept", got[0])
	}

	// A graceful stop and restart keeps the port, and the binlog goes on.
	port := s.Port
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("Running after Stop")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Port != port {
		t.Fatalf("port changed from %d to %d", port, s.Port)
	}
	s.Exec(t, "USE shop", "INSERT INTO t VALUES (2, 'after')")
	if got := queryRow(t, db, "SELECT COUNT(*) FROM shop.t", 1); got[0] != "2" {
		t.Fatalf("rows = %s, want 2", got[0])
	}
	logs, err := filepath.Glob(filepath.Join(s.Dir, "binlog", "mariadb-bin.0*"))
	if err != nil || len(logs) < 3 {
		t.Fatalf("binlog files = %v, %v; want one per start", logs, err)
	}
}

func TestStatementFormat(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{BinlogFormat: "statement", ServerID: 77})
	got := queryRow(t, s.DB(t), "SELECT @@log_bin, @@binlog_format, @@server_id", 3)
	if want := []string{"1", "STATEMENT", "77"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("log_bin, binlog_format, server_id = %q, want %q", got, want)
	}
}

func TestNoBinlogAndExtraArgs(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{NoBinlog: true, ExtraArgs: []string{"--max-connections=77"}})
	got := queryRow(t, s.DB(t), "SELECT @@log_bin, @@max_connections", 2)
	if got[0] != "0" || got[1] != "77" {
		t.Fatalf("log_bin, max_connections = %q, want 0 77", got)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "binlog")); !os.IsNotExist(err) {
		t.Fatalf("binlog dir exists without a binlog: %v", err)
	}
}

func TestStartProcessLongDir(t *testing.T) {
	t.Parallel()
	// Longer than a Unix socket path may be.
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	s, err := mariadbtest.StartProcess(dir, mariadbtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	other := mariadbtest.Start(t, mariadbtest.Options{})
	if s.ServerID == other.ServerID {
		t.Fatalf("two servers share server_id %d", s.ServerID)
	}
	if _, err := os.Stat(filepath.Join(dir, "mysql.sock")); err != nil {
		t.Fatalf("socket: %v", err)
	}
	s.Exec(t, "CREATE DATABASE x")
}

// TestOwnTmpdirAndPort checks what keeps concurrent servers apart: a
// tmpdir of their own (a starting mariadbd empties its tmpdir of #sql*
// files) and a port no outgoing connection can take.
func TestOwnTmpdirAndPort(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{})
	got := queryRow(t, s.DB(t), "SELECT @@tmpdir", 1)
	if want := filepath.Join(s.Dir, "tmp"); got[0] != want {
		t.Fatalf("@@tmpdir = %q, want %q", got[0], want)
	}
	if lo, hi := ports.EphemeralRange(); s.Port >= lo && s.Port <= hi {
		t.Fatalf("port %d is in the ephemeral range %d-%d", s.Port, lo, hi)
	}
}

func TestBadOptions(t *testing.T) {
	_, err := mariadbtest.StartProcess(t.TempDir(), mariadbtest.Options{BinlogFormat: "RAW"})
	if err == nil || !strings.Contains(err.Error(), "BinlogFormat") {
		t.Fatalf("err = %v, want a BinlogFormat error", err)
	}
}

// BenchmarkStart measures a server start from the cached template, the
// cost every integration test pays (about 0.4s on a 2-core VM).
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := mariadbtest.StartProcess("", mariadbtest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Stop(); err != nil {
			b.Error(err)
		}
		os.RemoveAll(s.Dir)
		b.StartTimer()
	}
}
