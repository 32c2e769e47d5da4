package mariadbtest

import (
	"context"
	"testing"
	"time"
)

// TestReplicateFrom: a GTID replica with log_slave_updates receives the
// primary's rows and writes them, with the primary's GTIDs, to its own
// binlog.
func TestReplicateFrom(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := Start(t, Options{})
	r := Start(t, Options{LogReplicaUpdates: true})
	p.Exec(t, "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1), (2)")
	if err := r.ReplicateFrom(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Exec(t, "INSERT INTO d.t VALUES (3)")
	if err := r.WaitReplicated(ctx, p); err != nil {
		t.Fatal(err)
	}
	var n int
	var pPos, rPos string
	if err := r.DB(t).QueryRowContext(ctx, "SELECT COUNT(*), @@gtid_binlog_pos FROM d.t").Scan(&n, &rPos); err != nil {
		t.Fatal(err)
	}
	if err := p.DB(t).QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pPos); err != nil {
		t.Fatal(err)
	}
	if n != 3 || rPos != pPos || pPos == "" {
		t.Errorf("replica has %d rows and binlog GTID position %q; want 3 and the primary's %q", n, rPos, pPos)
	}
}
