package main

import (
	"database/sql"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestQuarantineUnparsableDDL: a DDL sluice's parser rejects, read while
// the reader is behind the server (so its result cannot be read back),
// quarantines the table it names instead of stopping the source: the other
// table keeps replicating. Once the reader has caught up, the table's
// definition is read from the server, the replica table is created again
// from it and copied, and the table leaves quarantine by itself: the
// replica equals the source in rows and in SHOW CREATE TABLE. A later DDL
// of that table (whose definition sluice cannot parse either) still
// reaches the replica.
func TestQuarantineUnparsableDDL(t *testing.T) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.t (id INT PRIMARY KEY, name VARCHAR(20));
CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO shop.t VALUES (1, 'a');
INSERT INTO shop.kv VALUES (1, 'a')`)
	cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.t", "shop.kv")

	// Written while sluice is down: on restart the reader reads the ALTER
	// with the rows after it already on the server.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.ExecAll(t, sdb, `INSERT INTO shop.t VALUES (2, 'b');
ALTER TABLE shop.t ADD COLUMN v INT DEFAULT 2, ADD INDEX iv (v) IGNORED;
INSERT INTO shop.t (id, name) VALUES (3, 'c');
UPDATE shop.t SET v = 7 WHERE id = 1;
INSERT INTO shop.kv VALUES (2, 'b');
BEGIN; INSERT INTO shop.kv VALUES (3, 'c'); DELETE FROM shop.t WHERE id = 2; COMMIT`)
	p.Start()
	e2e.WaitEqual(t, sdb, ddb, 90*time.Second, []*e2e.Proc{p}, "shop.kv", "shop.t")
	e2e.WaitLog(t, p, 30*time.Second, 1, "table left quarantine", "shop.t")
	log := p.Log()
	e2e.MustContain(t, "the log", log, `msg="table quarantined`, "kind=ddl", "cannot parse", "reader is behind the server",
		"its definition was read from the server")
	if s, d := showCreate(sdb, "shop.t"), showCreate(ddb, "shop.t"); s != d {
		t.Errorf("definition of shop.t after quarantine:\nsource  %s\nreplica %s", s, d)
	}

	// sluice cannot parse the stored definition either: caught up, the
	// reader reads the ALTER's result from the server.
	e2e.ExecAll(t, sdb, `ALTER TABLE shop.t ADD COLUMN w VARCHAR(5) DEFAULT 'x';
INSERT INTO shop.t (id, name, w) VALUES (4, 'd', 'y');
INSERT INTO shop.kv VALUES (4, 'd')`)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv", "shop.t")
	if s, d := showCreate(sdb, "shop.t"), showCreate(ddb, "shop.t"); s != d {
		t.Errorf("definition of shop.t after a later ALTER:\nsource  %s\nreplica %s", s, d)
	}
}

// TestQuarantineUnsupportedType: a table created while streaming with a
// column type sluice cannot convert (MariaDB's INET6) is quarantined when
// its first rows arrive, naming the column and the fix, while the other
// table keeps replicating. An ALTER that makes the column a VARCHAR lets it
// out by itself: it is copied again and equals the source.
func TestQuarantineUnsupportedType(t *testing.T) {
	sdb, ddb, admin, p := startKV(t)

	e2e.ExecAll(t, sdb, `CREATE TABLE shop.addr (id INT PRIMARY KEY, ip INET6);
INSERT INTO shop.addr VALUES (1, '::1'), (2, NULL);
BEGIN; INSERT INTO shop.kv VALUES (2, 'b'); INSERT INTO shop.addr VALUES (3, 'fe80::1'); COMMIT;
INSERT INTO shop.kv VALUES (3, 'c')`)
	q := waitQuarantined(t, admin, "src", "shop.addr", true, []*e2e.Proc{p})
	e2e.MustContain(t, "the quarantine in /status", q.Kind+" "+q.Reason+" "+q.Fix,
		"unsupported_column", `column "ip" (inet6)`, "MODIFY the column")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	if n := e2e.TableCount(t, ddb, "shop.addr"); n != 0 {
		t.Errorf("the replica has %d rows of the quarantined shop.addr, want none", n)
	}
	if v := quarantineGauge(t, admin, "src", "shop.addr"); v != "1" {
		t.Errorf("sluice_table_quarantined{table=shop.addr} = %q, want 1", v)
	}

	e2e.ExecAll(t, sdb, `ALTER TABLE shop.addr MODIFY ip VARCHAR(50);
INSERT INTO shop.addr VALUES (4, '10.0.0.1');
UPDATE shop.addr SET ip = '::2' WHERE id = 2`)
	waitQuarantined(t, admin, "src", "shop.addr", false, []*e2e.Proc{p})
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv", "shop.addr")
	if s, d := showCreate(sdb, "shop.addr"), showCreate(ddb, "shop.addr"); s != d {
		t.Errorf("definition of shop.addr:\nsource  %s\nreplica %s", s, d)
	}
	e2e.MustContain(t, "the log", p.Log(), "a DDL made its columns supported", "table left quarantine")
}

// TestQuarantineRefusedTopic: a table created while streaming whose topic
// the broker refuses (an external Kafka refusing the name; the embedded
// broker takes every name sluice makes, so a test hook refuses it) is
// quarantined instead of stopping the source; the other table keeps
// replicating. Renamed, its quarantine follows it, its topic is taken, and
// it is copied again: the replica equals the source.
func TestQuarantineRefusedTopic(t *testing.T) {
	t.Setenv("SLUICE_TEST_REFUSE_TOPICS", ".refused") // as a Kafka that refuses the name would
	sdb, ddb, admin, p := startKV(t)

	e2e.ExecAll(t, sdb, "CREATE TABLE shop.refused (id INT PRIMARY KEY, v INT);\n"+
		"INSERT INTO shop.refused VALUES (1, 1), (2, 2);\n"+
		"INSERT INTO shop.kv VALUES (2, 'b')")
	q := waitQuarantined(t, admin, "src", "shop.refused", true, []*e2e.Proc{p})
	e2e.MustContain(t, "the quarantine in /status", q.Kind+" "+q.Reason+" "+q.Fix, "topic_refused", "invalid topic", "RENAME TABLE")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")

	e2e.ExecAll(t, sdb, "RENAME TABLE shop.refused TO shop.short;\nINSERT INTO shop.short VALUES (3, 3);\nUPDATE shop.short SET v = 10 WHERE id = 1")
	waitQuarantined(t, admin, "src", "shop.refused", false, []*e2e.Proc{p})
	waitQuarantined(t, admin, "src", "shop.short", false, []*e2e.Proc{p})
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv", "shop.short")
	e2e.MustContain(t, "the log", p.Log(), "its quarantine follows it", "the broker took its topic", "table left quarantine")
}

// startKV starts a pipeline of one table, shop.kv, and returns once its
// first row is on the replica: source and replica, the admin address and
// the sluice process.
func startKV(t *testing.T) (sdb, ddb *sql.DB, admin string, p *e2e.Proc) {
	src, dst := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb = src.DB(t), dst.DB(t)
	e2e.ExecAll(t, sdb, `CREATE DATABASE shop;
CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO shop.kv VALUES (1, 'a')`)
	cfg, admin := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
	p = e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.kv")
	return sdb, ddb, admin, p
}
