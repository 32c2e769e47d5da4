// Package mariadbtest starts real, throwaway MariaDB servers for integration
// tests and local tools.
//
// # Data flow
//
// The first server of a process finds or installs a template datadir: one
// mariadb-install-db run (about 1s) per MariaDB version, cached in
// $MARIADBTEST_CACHE_DIR, else os.UserCacheDir()/sluice-mariadbtest, else
// the temporary directory, and published there with an atomic rename, so
// concurrent test processes share it and later runs skip the install. Each
// server then gets a private copy of the template (about 70ms) and its own
// directory laid out as
//
//	DIR/data/          the datadir (DataDir), a copy of the template
//	DIR/data/mariadbd.log  the server's stdout and stderr (its error log)
//	DIR/tmp/           the server's tmpdir (--tmpdir)
//	DIR/binlog/        binary logs (absent with Options.NoBinlog)
//	DIR/mysql.sock     the Unix socket (tests connect over TCP)
//	DIR/mariadbd.pid
//
// and a mariadbd started with --no-defaults (never /etc/mysql/my.cnf) on
// 127.0.0.1 and a port from ports.Free, outside the kernel's ephemeral range
// (a start that fails on a taken port is retried on a fresh one). Start
// returns once the server accepts a database/sql connection as root with an
// empty password.
//
// # Invariants
//
//   - The template is never started and binary logs live outside the datadir,
//     so a copy never carries binlogs, InnoDB redo of another server or
//     a stale binlog index.
//   - No server, nor the bootstrap server of mariadb-install-db (TMPDIR),
//     uses a shared tmpdir: a starting mariadbd deletes every #sql* file in
//     its tmpdir, and in a shared /tmp those are the Aria temporary tables of
//     the servers already running, which then fail or crash
//     (ha_maria::drop_table in create_tmp_table_for_schema).
//   - Each server in a process gets a distinct server_id (Options.ServerID
//     overrides it), starting above 10000 so that test binlog readers may use
//     small ids.
//   - Servers run with PR_SET_PDEATHSIG on Linux: when the test binary dies
//     (a timeout panic, a SIGKILL) its servers die with it instead of leaking.
//     The kernel ties this to the starting OS thread, which Go only ends
//     when a goroutine exits while locked with runtime.LockOSThread: do not
//     start servers from such a goroutine.
//   - A missing mariadbd is a failure, not a skip: a skipped integration test
//     hides breakage. Run .ci/run, or
//     apt-get install mariadb-server mariadb-client.
//
// Set MARIADBTEST_KEEP=1 to keep the directories of servers started by Start
// after the test (their paths are logged).
package mariadbtest
