package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestQuarantineCascadingForeignKey: a cascading foreign key added while
// streaming quarantines that table only: the other tables keep
// replicating (also the healthy part of a transaction that spans both),
// /status, sluice status and sluice_table_quarantined say so with the
// reason and the fix, and a restart keeps the table quarantined. Once the
// foreign key is made RESTRICT the table is copied again by itself, leaves
// quarantine, and equals the source, cascaded changes included.
func TestQuarantineCascadingForeignKey(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.parent (id INT PRIMARY KEY);
CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO shop.parent VALUES (1), (2), (3);
INSERT INTO shop.kv VALUES (1, 'a')`)
	cfg, admin := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.parent", "shop.kv")

	e2e.ExecAll(t, sdb, `CREATE TABLE shop.child (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_parent FOREIGN KEY (pid) REFERENCES shop.parent (id) ON DELETE CASCADE);
INSERT INTO shop.child VALUES (10, 1), (20, 2), (30, 3);
INSERT INTO shop.kv VALUES (2, 'b');
BEGIN; INSERT INTO shop.kv VALUES (3, 'c'); INSERT INTO shop.child VALUES (40, 3); COMMIT;
DELETE FROM shop.parent WHERE id = 1`) // the cascade deletes child 10 outside the binlog
	q := waitQuarantined(t, admin, "src", "shop.child", true, []*e2e.Proc{p})
	e2e.MustContain(t, "the quarantine in /status", q.Reason+" "+q.Fix+" "+q.Kind,
		"shop.child foreign key `fk_parent` references shop.parent ON DELETE CASCADE", "ON DELETE RESTRICT", "cascading_foreign_key")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.parent", "shop.kv")
	if n := e2e.TableCount(t, ddb, "shop.child"); n != 0 {
		t.Errorf("the replica has %d rows of the quarantined shop.child, want none", n)
	}
	if v := quarantineGauge(t, admin, "src", "shop.child"); v != "1" {
		t.Errorf("sluice_table_quarantined{table=shop.child} = %q, want 1", v)
	}
	out, _ := e2e.Output(t, "status", "--config", cfg)
	t.Logf("sluice status:\n%s", out)
	e2e.MustContain(t, "sluice status", out, "src: table shop.child QUARANTINED", "reason: foreign keys whose actions", "fix: make them ON DELETE RESTRICT")
	e2e.MustContain(t, "the log", p.Log(), `msg="table quarantined`)

	// A restart keeps it quarantined: its replica lacks rows.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	p.Start()
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv VALUES (4, 'd')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	waitQuarantined(t, admin, "src", "shop.child", true, []*e2e.Proc{p})
	e2e.MustContain(t, "the log after the restart", p.Log(), "table still quarantined (recorded in the checkpoint)")

	e2e.ExecAll(t, sdb, `ALTER TABLE shop.child DROP FOREIGN KEY fk_parent;
ALTER TABLE shop.child ADD CONSTRAINT fk_parent FOREIGN KEY (pid) REFERENCES shop.parent (id) ON DELETE RESTRICT;
INSERT INTO shop.child VALUES (50, 2)`)
	waitQuarantined(t, admin, "src", "shop.child", false, []*e2e.Proc{p})
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.parent", "shop.kv", "shop.child")
	if v := quarantineGauge(t, admin, "src", "shop.child"); v != "0" {
		t.Errorf("sluice_table_quarantined{table=shop.child} = %q after it left quarantine, want 0", v)
	}
	e2e.MustContain(t, "the log", p.Log(), "table left quarantine")
}

// TestQuarantineRejectedRow: a row the replica rejects (its copy of the
// table altered by hand, a column too narrow) quarantines that table on the
// sink: the other tables, and the healthy part of a transaction spanning
// both, keep being applied; /status and the metric say so. Once the
// replica table is fixed, sluice snapshot --table copies the table again
// and it leaves quarantine, equal to the source.
func TestQuarantineRejectedRow(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20));
CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO shop.items VALUES (1, 'abc'), (2, 'de');
INSERT INTO shop.kv VALUES (1, 'a')`)
	cfg, admin := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items", "shop.kv")

	e2e.MustExec(t, ddb, "ALTER TABLE shop.items MODIFY name VARCHAR(3)")
	e2e.ExecAll(t, sdb, `INSERT INTO shop.items VALUES (3, 'far too long');
BEGIN; INSERT INTO shop.kv VALUES (2, 'b'); UPDATE shop.items SET name = 'x' WHERE id = 1; COMMIT;
INSERT INTO shop.kv VALUES (3, 'c');
DELETE FROM shop.items WHERE id = 2`)
	q := waitQuarantined(t, admin, "replica-1", "shop.items", true, []*e2e.Proc{p})
	e2e.MustContain(t, "the quarantine in /status", q.Reason+" "+q.Fix+" "+q.Where,
		"Data too long", "sluice snapshot --config FILE --connector src --table shop.items", "offset")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	if v := quarantineGauge(t, admin, "replica-1", "shop.items"); v != "1" {
		t.Errorf("sluice_table_quarantined{connector=replica-1,table=shop.items} = %q, want 1", v)
	}
	if got := e2e.TableRows(t, ddb, "shop.items"); len(got) != 2 {
		t.Errorf("the quarantined replica table changed: %v", got)
	}
	// A restart reads the quarantine back from the replica (its since
	// column once stopped the sink: the sink's sessions read times as text).
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	p.Start()
	waitQuarantined(t, admin, "replica-1", "shop.items", true, []*e2e.Proc{p})
	e2e.MustExec(t, sdb, "INSERT INTO shop.kv VALUES (4, 'd')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")

	e2e.MustExec(t, ddb, "ALTER TABLE shop.items MODIFY name VARCHAR(20)")
	if code, out := e2e.Run(t, "snapshot", "--config", cfg, "--table", "shop.items"); code != 0 {
		t.Fatalf("sluice snapshot exited %d:\n%s", code, out)
	}
	waitQuarantined(t, admin, "replica-1", "shop.items", false, []*e2e.Proc{p})
	e2e.MustExec(t, sdb, "INSERT INTO shop.items VALUES (4, 'after')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items", "shop.kv")
	if v := quarantineGauge(t, admin, "replica-1", "shop.items"); v != "0" {
		t.Errorf("sluice_table_quarantined{connector=replica-1,table=shop.items} = %q after it left quarantine, want 0", v)
	}
}

// TestOnTableErrorStop: with on_table_error: stop the sink stops at a row
// the replica rejects, as before quarantine existed, naming the message.
func TestOnTableErrorStop(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20));
INSERT INTO shop.items VALUES (1, 'abc')`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	e2e.EditConfig(t, cfg, "    batch_rows: 500\n", "    batch_rows: 500\n    on_table_error: stop\n")
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.items")
	e2e.MustExec(t, ddb, "ALTER TABLE shop.items MODIFY name VARCHAR(3)")
	e2e.MustExec(t, sdb, "INSERT INTO shop.items VALUES (2, 'far too long')")
	log := e2e.WaitFailed(t, p, 60*time.Second)
	e2e.MustContain(t, "the error", log, "Data too long", "a poison message: the sink stops here")
	if strings.Contains(log, "table quarantined") {
		t.Error("on_table_error: stop quarantined the table")
	}
}

// quarantineOf returns the quarantine of table in connector's /status at
// admin, nil when it is not quarantined.
func quarantineOf(admin, conn, table string) (*connector.QuarantinedTable, error) {
	sts, err := e2e.Statuses(admin)
	if err != nil {
		return nil, err
	}
	for _, c := range sts {
		for _, q := range c.Quarantined {
			if c.Name == conn && q.Table == table {
				return &q, nil
			}
		}
	}
	return nil, nil
}

// waitQuarantined waits up to 60 s until table is (want) or is no longer
// quarantined by conn, and returns its quarantine.
func waitQuarantined(t *testing.T, admin, conn, table string, want bool, procs []*e2e.Proc) *connector.QuarantinedTable {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		q, err := quarantineOf(admin, conn, table)
		if err == nil && (q != nil) == want {
			return q
		}
		if time.Now().After(deadline) {
			e2e.LogTails(t, 30, procs...)
			t.Fatalf("%s: table %s quarantined = %v after 60s, want %v (err %v)", conn, table, q != nil, want, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// quarantineGauge returns the value of sluice_table_quarantined for table
// of connector conn at admin, "" when there is no such series.
func quarantineGauge(t *testing.T, admin, conn, table string) string {
	t.Helper()
	for _, l := range strings.Split(e2e.HTTPGet(t, "http://"+admin+"/metrics"), "\n") {
		if strings.HasPrefix(l, "sluice_table_quarantined{") && strings.Contains(l, `table="`+table+`"`) && strings.Contains(l, `connector="`+conn+`"`) {
			return l[strings.LastIndexByte(l, ' ')+1:]
		}
	}
	return ""
}
