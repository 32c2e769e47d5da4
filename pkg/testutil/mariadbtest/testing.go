package mariadbtest

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
)

// Start starts a server for the test and returns once it accepts
// connections. It calls t.Fatal on failure, including when MariaDB is not
// installed (a skipped integration test would hide breakage). At cleanup
// the server is stopped and its directory removed, unless MARIADBTEST_KEEP
// is set; if the test failed, the tail of the server log is logged.
// Under go test -short it skips the test instead: -short runs the tests
// that need no server.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("mariadbtest: starts a MariaDB server; skipped with -short")
	}
	dir, err := os.MkdirTemp("", "mariadbtest-")
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	s, err := StartProcess(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		if errors.Is(err, ErrNotInstalled) {
			t.Fatalf("%v\nmariadbd is required by this integration test: run `bash .ci/run`, "+
				"or `apt-get install mariadb-server mariadb-client`", err)
		}
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("mariadbtest: stopping server on port %d: %v", s.Port, err)
		}
		if t.Failed() {
			t.Logf("mariadbtest: tail of %s:\n%s", s.LogFile, s.LogTail(15))
		}
		if os.Getenv("MARIADBTEST_KEEP") != "" {
			t.Logf("mariadbtest: kept %s (MARIADBTEST_KEEP is set)", s.Dir)
			return
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			t.Errorf("mariadbtest: %v", err)
		}
	})
	return s
}

// DB returns a pool connected as root with no default database, with
// multiStatements=true and parseTime=false. It is closed at cleanup, before
// the server stops.
func (s *Server) DB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", s.DSN("")+"?multiStatements=true&parseTime=false")
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Exec runs the statements in order on one connection, so session state
// such as USE carries from one to the next, and calls t.Fatal on the first
// error. A statement may itself hold several statements.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	db, err := sql.Open("mysql", s.DSN("")+"?multiStatements=true")
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("mariadbtest: connecting to %s: %v", s.Addr(), err)
	}
	defer conn.Close()
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("mariadbtest: %s: %q: %v", s.Addr(), stmt, err)
		}
	}
}
