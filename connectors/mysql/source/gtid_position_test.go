package source

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/binlog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestGTIDPosition: a GTID set is translated into the binlog position where
// the server's binlog passes it, across rotated files; the server agrees
// (BINLOG_GTID_POS there is the set); a set whose following transactions
// were purged is refused.
func TestGTIDPosition(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := mariadbtest.Start(t, mariadbtest.Options{})
	srv.Exec(t, "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)")
	db := srv.DB(t)
	gtids := map[int]string{}
	for i := 1; i <= 12; i++ {
		srv.Exec(t, fmt.Sprintf("INSERT INTO d.t VALUES (%d)", i))
		if i%4 == 0 {
			srv.Exec(t, "FLUSH BINARY LOGS")
		}
		var g string
		if err := db.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&g); err != nil {
			t.Fatal(err)
		}
		gtids[i] = g
	}
	for _, i := range []int{1, 4, 5, 9, 12} {
		want, err := binlog.ParseGTIDs("mariadb", gtids[i])
		if err != nil {
			t.Fatal(err)
		}
		pos, err := binlog.GTIDPosition(ctx, db, "mariadb", want)
		if err != nil {
			t.Fatalf("after insert %d (GTID %s): %v", i, gtids[i], err)
		}
		var at string
		if err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", pos.File, pos.Pos).Scan(&at); err != nil {
			t.Fatal(err)
		}
		if at != gtids[i] || pos.GTID != gtids[i] {
			t.Errorf("after insert %d: position %s, where the server's GTID position is %q; want %q", i, pos, at, gtids[i])
		}
	}
	// Two domains interleaved: 1-x-1, 0-x-13, 1-x-2. The set {0: 12, 1: 2}
	// has no position (0-x-13 lies between its transactions): refused.
	srv.Exec(t, "SET SESSION gtid_domain_id = 1; INSERT INTO d.t VALUES (101); SET SESSION gtid_domain_id = 0; "+
		"INSERT INTO d.t VALUES (13); SET SESSION gtid_domain_id = 1; INSERT INTO d.t VALUES (102)")
	var both string
	if err := db.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&both); err != nil {
		t.Fatal(err)
	}
	set := strings.Replace(both, "0-"+fmt.Sprint(srv.ServerID)+"-15", gtids[12], 1)
	if set == both {
		t.Fatalf("domain 0 of %s is not at seq_no 15", both)
	}
	mixed, _ := binlog.ParseGTIDs("mariadb", set)
	if _, err := binlog.GTIDPosition(ctx, db, "mariadb", mixed); err == nil || !strings.Contains(err.Error(), "another order") {
		t.Errorf("GTID set %s from %s: %v, want an error saying the transactions are in another order", mixed, both, err)
	}
	logs, err := dbconn.BinaryLogs(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	srv.Exec(t, "PURGE BINARY LOGS TO '"+logs[2].Name+"'")
	want, _ := binlog.ParseGTIDs("mariadb", gtids[2])
	if _, err := binlog.GTIDPosition(ctx, db, "mariadb", want); err == nil || !strings.Contains(err.Error(), "purged") {
		t.Errorf("a GTID set whose following transactions were purged: %v, want an error saying so", err)
	}
}
