package main

import (
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestLaxSourceValues: a source session with an empty sql_mode stores values
// that the sink's strict session would refuse in the same columns: an
// ENUM or SET given a value outside its members holds the empty string (index 0), a
// FLOAT(10,2) given 99999999.99 holds 1e8, a DOUBLE(10,2) given 1e12
// holds 99999999.99. They reach the replica, by snapshot and streamed
// insert and update, as the source holds them: ENUM index 0 is index 0
// on the replica (e+0 equal), and sluice verify finds the table equal.
// A value the replica cannot hold because its column differs still stops
// the sink (TestSinkPoisonMessages).
func TestLaxSourceValues(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.lax (id INT PRIMARY KEY, e ENUM('a','b') NOT NULL, s SET('x','y') NULL, f FLOAT(10,2) NULL, d DOUBLE(10,2) NULL, v VARCHAR(10) NULL)`)
	e2e.SessionExec(t, sdb, "SET sql_mode = ''",
		"INSERT INTO shop.lax VALUES (1, 'zzz', 'x,q', 99999999.99, 1e12, 'snapshot'), (2, 'a', 'y', 1.5, 2.25, 'ok')")
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	view := "(SELECT id, e, e+0 AS ei, s, s+0 AS si, f, d, v FROM shop.lax) AS x"
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.lax")
	if ok, diff := e2e.TablesEqual(t, sdb, ddb, view); !ok {
		t.Errorf("ENUM and SET indexes, floats: %s", diff)
	}

	e2e.SessionExec(t, sdb, "SET sql_mode = ''",
		"INSERT INTO shop.lax VALUES (3, 'nope', 'q', 99999999.99, -1e12, 'streamed'), (4, 'b', 'x', 3.5, 4.5, 'ok')",
		"UPDATE shop.lax SET e = 'bad', f = 1e20, v = 'updated' WHERE id = 2",
		"INSERT INTO shop.lax VALUES (5, 'a', 'x,y', 1, 1, 'after')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.lax")
	if ok, diff := e2e.TablesEqual(t, sdb, ddb, view); !ok {
		t.Errorf("ENUM and SET indexes, floats: %s", diff)
	}
	var zeros int
	if err := ddb.QueryRow("SELECT COUNT(*) FROM shop.lax WHERE e+0 = 0").Scan(&zeros); err != nil || zeros != 3 {
		t.Errorf("rows with ENUM index 0 on the replica: %d (%v), want 3", zeros, err)
	}
	if out, code := runVerify(t, "--config", cfg); code != 0 {
		t.Errorf("verify: exit %d, want 0:\n%s", code, out)
	}
	if exited, _ := p.Exited(); exited {
		t.Fatalf("sluice stopped:\n%s", e2e.Tail(p.Log(), 30))
	}
}
