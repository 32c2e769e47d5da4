package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// server is a MariaDB process of the benchmark with its connection pool.
type server struct {
	*mariadbtest.Server
	db *sql.DB
}

// startServer starts a MariaDB server in dir with the settings every server
// of the benchmark shares (binlog ROW, the same buffer pool and redo size).
func startServer(c config, dir string) (*server, error) {
	opts := mariadbtest.Options{ExtraArgs: []string{
		"--innodb-buffer-pool-size=" + c.bufferPool,
		"--innodb-log-file-size=256M",
		"--max-connections=300",
	}}
	s, err := mariadbtest.StartProcess(dir, opts)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", s.DSN("")+"?multiStatements=true")
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	db.SetMaxOpenConns(32)
	return &server{Server: s, db: db}, nil
}

// stop closes the pool and shuts the server down; without keep its
// directory is removed.
func (s *server) stop(keep bool) {
	if s == nil {
		return
	}
	s.db.Close()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench: stopping server:", err)
	}
	if !keep {
		os.RemoveAll(s.Dir)
	}
}

// binlogEnd returns the source's current binlog file and position.
func binlogEnd(db *sql.DB) (string, int64, error) {
	rows, err := db.Query("SHOW MASTER STATUS")
	if err != nil {
		return "", 0, err
	}
	m, err := oneRow(rows)
	if err != nil {
		return "", 0, err
	}
	var pos int64
	fmt.Sscan(m["Position"], &pos)
	return m["File"], pos, nil
}

// oneRow reads the first row of rows into a map of column name to text.
func oneRow(rows *sql.Rows) (map[string]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cols))
	for i, c := range cols {
		m[c] = string(raw[i])
	}
	return m, nil
}

// replayNative starts a fresh replica, replicates the source's binlog into
// it from the start with MariaDB's replication, and returns the time from
// START SLAVE until the SQL thread has executed up to (endFile, endPos).
// parallel > 0 sets slave_parallel_threads with
// slave_parallel_mode=optimistic. The replica is compared with the source.
func replayNative(c config, src *server, dir string, parallel int, endFile string, endPos int64, dbs []string) (el time.Duration, eq, cpu string, err error) {
	r, err := startServer(c, dir)
	if err != nil {
		return 0, "", "", err
	}
	defer r.stop(c.keep)
	start := time.Now()
	meter := newCPUMeter(r.Pid(), src.Pid())
	if err := startNative(r, src, parallel); err != nil {
		return 0, "", "", err
	}
	if err := waitNative(r, endFile, endPos, c.replayTimeout); err != nil {
		return 0, "", "", err
	}
	el = time.Since(start)
	cpu = cpuLine([]string{"replica server", "source server"}, meter.spent())
	if _, err := r.db.Exec("STOP SLAVE"); err != nil {
		return 0, "", "", err
	}
	eq, err = compare(src.db, r.db, dbs)
	return el, eq, cpu, err
}

// startNative points replica r at the source's first binlog file,
// position 4, and starts replicating (parallel > 0: that many optimistic
// parallel SQL threads).
func startNative(r, src *server, parallel int) error {
	files, _, err := binlogFiles(src.db)
	if err != nil {
		return err
	}
	if parallel > 0 {
		if _, err := r.db.Exec(fmt.Sprintf("SET GLOBAL slave_parallel_threads = %d; SET GLOBAL slave_parallel_mode = 'optimistic'", parallel)); err != nil {
			return err
		}
	}
	change := fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', MASTER_PASSWORD='', "+
		"MASTER_LOG_FILE='%s', MASTER_LOG_POS=4, MASTER_USE_GTID=no", src.Port, files[0])
	if _, err := r.db.Exec(change); err != nil {
		return err
	}
	_, err = r.db.Exec("START SLAVE")
	return err
}

// waitNative waits until replica r's SQL thread has executed up to
// (endFile, endPos), failing when a replication thread stops with an error.
func waitNative(r *server, endFile string, endPos int64, timeout time.Duration) error {
	start := time.Now()
	for {
		rows, err := r.db.Query("SHOW SLAVE STATUS")
		if err != nil {
			return err
		}
		m, err := oneRow(rows)
		if err != nil {
			return err
		}
		var pos int64
		fmt.Sscan(m["Exec_Master_Log_Pos"], &pos)
		if m["Relay_Master_Log_File"] == endFile && pos >= endPos {
			return nil
		}
		if m["Slave_SQL_Running"] == "No" && m["Last_SQL_Error"] != "" {
			return fmt.Errorf("replica SQL thread stopped: %s", m["Last_SQL_Error"])
		}
		if m["Slave_IO_Running"] == "No" && m["Last_IO_Error"] != "" {
			return fmt.Errorf("replica IO thread stopped: %s", m["Last_IO_Error"])
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("native replica not caught up after %s (at %s:%d of %s:%d)",
				timeout, m["Relay_Master_Log_File"], pos, endFile, endPos)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// compare dumps every table of dbs on both servers, ordered by the first
// column (the primary key of every benchmark table), and reports "ok" or
// the first difference.
func compare(src, dst *sql.DB, dbs []string) (string, error) {
	q := "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('" +
		strings.Join(dbs, "','") + "') ORDER BY 1"
	rows, err := src.Query(q)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		a, na, err := dumpHash(src, t)
		if err != nil {
			return "", err
		}
		b, nb, err := dumpHash(dst, t)
		if err != nil {
			return fmt.Sprintf("DIFF(%s: %v)", t, err), nil
		}
		if a != b {
			return fmt.Sprintf("DIFF(%s: %d rows vs %d)", t, na, nb), nil
		}
	}
	return "ok", nil
}

// dumpHash hashes a table's rows ordered by the first column, each value
// as text with NULL distinct from the empty string.
func dumpHash(db *sql.DB, table string) (string, int, error) {
	d, t, _ := strings.Cut(table, ".")
	rows, err := db.Query(fmt.Sprintf("SELECT * FROM `%s`.`%s` ORDER BY 1", d, t))
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	h := sha256.New()
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", 0, err
		}
		for _, r := range raw {
			if r == nil {
				h.Write([]byte{0xff, 0})
			} else {
				fmt.Fprintf(h, "%d:", len(r))
				h.Write(r)
			}
		}
		h.Write([]byte{'\n'})
		n++
	}
	return hex.EncodeToString(h.Sum(nil)), n, rows.Err()
}

// subdir returns dir/name.
func subdir(dir, name string) string { return filepath.Join(dir, name) }
