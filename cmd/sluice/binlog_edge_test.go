package main

import (
	"database/sql"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

const kvSchema = `CREATE DATABASE shop;
CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(64) NULL, b BLOB NULL, n INT NOT NULL DEFAULT 0);
CREATE DATABASE other;
CREATE TABLE other.log (id INT PRIMARY KEY, v VARCHAR(64) NULL)`

// kvPipeline starts a source with opts, a replica and sluice capturing
// shop.*, and waits for the snapshot of shop.kv.
func kvPipeline(t *testing.T, opts mariadbtest.Options) (sdb, ddb *sql.DB, p *proc) {
	t.Helper()
	src, dst := mariadbtest.Start(t, opts), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb = src.DB(t), dst.DB(t)
	execAll(t, sdb, kvSchema)
	mustExec(t, sdb, "INSERT INTO shop.kv VALUES (1, 'a', 'blob', 1), (2, 'b', NULL, 2)")
	cfg, _ := writeConfig(t, t.TempDir(), src, dst, false)
	p = startProc(t, "sluice.log", "run", "--config", cfg)
	waitEqual(t, sdb, ddb, 60*time.Second, []*proc{p}, "shop.kv")
	return sdb, ddb, p
}

// sessionExec runs statements on one connection, so session settings
// apply to the statements after them.
func sessionExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	conn, err := db.Conn(ctxTimeout(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctxTimeout(t, time.Minute), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// coordinates matches binlog coordinates in an error: file:position.
var coordinates = regexp.MustCompile(`binlog [\w.-]+\.\d{6}:\d+`)

// expectStop waits for sluice to exit with status 1 and a log naming the
// binlog coordinates and every one of words.
func expectStop(t *testing.T, p *proc, words ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, err := p.exited(); done {
			log := p.logText()
			if err == nil || !strings.Contains(err.Error(), "exit status 1") {
				t.Fatalf("sluice exited with %v, want exit status 1:\n%s", err, tail(log, 20))
			}
			if !coordinates.MatchString(log) {
				t.Errorf("the error does not name binlog coordinates:\n%s", tail(log, 10))
			}
			for _, w := range words {
				if !strings.Contains(log, w) {
					t.Errorf("the log lacks %q:\n%s", w, tail(log, 10))
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice did not stop within 30s:\n%s", tail(p.logText(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBinlogRefused: events whose rows sluice cannot know exactly stop the
// reader with their coordinates; nothing is skipped and nothing after them
// reaches the replica.
func TestBinlogRefused(t *testing.T) {
	cases := []struct {
		name  string
		stmts []string
		words []string
	}{
		{"row_image_minimal", []string{"SET SESSION binlog_row_image = 'MINIMAL'", "UPDATE shop.kv SET n = n + 1 WHERE id = 1"},
			[]string{"binlog_row_image MINIMAL or NOBLOB", "shop.kv"}},
		{"row_image_noblob", []string{"SET SESSION binlog_row_image = 'NOBLOB'", "UPDATE shop.kv SET n = n + 1 WHERE id = 1"},
			[]string{"does not carry column b", "shop.kv"}},
		{"statement_format", []string{"SET SESSION binlog_format = 'STATEMENT'", "INSERT INTO other.log VALUES (1, 'not selected')",
			"INSERT INTO shop.kv (id, v) VALUES (3, 'c')"}, []string{"logged as a statement", "shop.kv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sdb, ddb, p := kvPipeline(t, mariadbtest.Options{})
			sessionExec(t, sdb, c.stmts...)
			mustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (100, 'after')")
			expectStop(t, p, c.words...)
			var n int
			if err := ddb.QueryRow("SELECT COUNT(*) FROM shop.kv WHERE id >= 3").Scan(&n); err != nil || n != 0 {
				t.Errorf("rows after the refused event reached the replica: %d, %v", n, err)
			}
		})
	}
}

// TestBinlogMariaDB: compressed binlog events (log_bin_compress) and
// transactions in several GTID domains are replicated exactly, also across
// a restart.
func TestBinlogMariaDB(t *testing.T) {
	opts := mariadbtest.Options{ExtraArgs: []string{"--log-bin-compress=ON", "--log-bin-compress-min-len=10"}}
	sdb, ddb, p := kvPipeline(t, opts)
	big := strings.Repeat("compressible ", 200)
	sessionExec(t, sdb, "SET SESSION gtid_domain_id = 7",
		"INSERT INTO shop.kv VALUES (10, 'domain 7', REPEAT('x', 5000), 10)",
		"UPDATE shop.kv SET b = CONCAT(b, 'y'), n = n + 1 WHERE id IN (1, 10)")
	sessionExec(t, sdb, "SET SESSION gtid_domain_id = 3",
		"INSERT INTO shop.kv VALUES (11, 'domain 3', '"+big+"', 11)", "DELETE FROM shop.kv WHERE id = 2")
	waitEqual(t, sdb, ddb, 30*time.Second, []*proc{p}, "shop.kv")
	var compressed int
	rows, err := sdb.Query("SHOW BINLOG EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var file, typ, info string
		var pos, sid, end int64
		if err := rows.Scan(&file, &pos, &typ, &sid, &end, &info); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(typ, "compressed") {
			compressed++
		}
	}
	rows.Close()
	if compressed == 0 {
		t.Fatal("the source wrote no compressed events: the test does not test them")
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	sessionExec(t, sdb, "SET SESSION gtid_domain_id = 7", "INSERT INTO shop.kv VALUES (12, 'while stopped', NULL, 12)")
	sessionExec(t, sdb, "SET SESSION gtid_domain_id = 0", "UPDATE shop.kv SET v = 'domain 0' WHERE id = 11")
	p.start()
	waitEqual(t, sdb, ddb, 30*time.Second, []*proc{p}, "shop.kv")
	t.Logf("%d compressed events replicated", compressed)
}
