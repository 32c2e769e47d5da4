package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

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
			sdb, ddb, p := e2e.KVPipeline(t, mariadbtest.Options{})
			e2e.SessionExec(t, sdb, c.stmts...)
			e2e.MustExec(t, sdb, "INSERT INTO shop.kv (id, v) VALUES (100, 'after')")
			e2e.ExpectStop(t, p, c.words...)
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
	sdb, ddb, p := e2e.KVPipeline(t, opts)
	big := strings.Repeat("compressible ", 200)
	e2e.SessionExec(t, sdb, "SET SESSION gtid_domain_id = 7",
		"INSERT INTO shop.kv VALUES (10, 'domain 7', REPEAT('x', 5000), 10)",
		"UPDATE shop.kv SET b = CONCAT(b, 'y'), n = n + 1 WHERE id IN (1, 10)")
	e2e.SessionExec(t, sdb, "SET SESSION gtid_domain_id = 3",
		"INSERT INTO shop.kv VALUES (11, 'domain 3', '"+big+"', 11)", "DELETE FROM shop.kv WHERE id = 2")
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.kv")
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
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.SessionExec(t, sdb, "SET SESSION gtid_domain_id = 7", "INSERT INTO shop.kv VALUES (12, 'while stopped', NULL, 12)")
	e2e.SessionExec(t, sdb, "SET SESSION gtid_domain_id = 0", "UPDATE shop.kv SET v = 'domain 0' WHERE id = 11")
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.kv")
	t.Logf("%d compressed events replicated", compressed)
}
