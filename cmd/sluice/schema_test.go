package main

import (
	"database/sql"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

const ddlSchema = `CREATE DATABASE shop;
CREATE TABLE shop.items (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NULL,
  flag TINYINT UNSIGNED NOT NULL DEFAULT 255, kind ENUM('a','b,c') NOT NULL DEFAULT 'b,c');
CREATE TABLE shop.renames (id INT PRIMARY KEY, a INT NULL, b VARCHAR(10) NULL);
CREATE TABLE shop.gone (id INT PRIMARY KEY, v INT NULL);
CREATE TABLE shop.trunc (id INT PRIMARY KEY, v INT NULL);
CREATE TABLE shop.ghost (id INT PRIMARY KEY, v INT NOT NULL);
CREATE TABLE shop.pt (id INT PRIMARY KEY, v INT NOT NULL);
CREATE TABLE shop.empty (id INT PRIMARY KEY, v INT NOT NULL)`

// writeDDLConfig writes a config with one source (shop.*, shop2.*, tmpdb.*)
// and two sinks: replica-1 keeps the names, replica-2 routes them.
func writeDDLConfig(t testing.TB, dir string, src, dst, dst2 *mariadbtest.Server, skip ...string) string {
	t.Helper()
	skipDDL := ""
	if len(skip) > 0 {
		skipDDL = fmt.Sprintf("    skip_ddl: [%q]\n", strings.Join(skip, `", "`))
	}
	cfg := fmt.Sprintf(`name: test
kafka:
  embedded:
    listen: 127.0.0.1:%d
    data_dir: %s
  partitions: 3
admin:
  listen: 127.0.0.1:%d
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4242
    tables: ["shop.*", "shop2.*", "tmpdb.*"]
%s  - name: replica-1
    type: mysql-sink
    source: src
    dsn: "root@tcp(%s)/"
  - name: replica-2
    type: mysql-sink
    source: src
    dsn: "root@tcp(%s)/"
    routes: {"shop.items": "archive.items_v2", "shop2.*": "shop2_copy.*"}
`, e2e.FreePort(t), filepath.Join(dir, "kafka"), e2e.FreePort(t), src.Addr(), skipDDL, dst.Addr(), dst2.Addr())
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// itemsWorkload inserts, updates and deletes rows of shop.items (only the
// columns id and qty, which every DDL of the test keeps) until stop closes.
func itemsWorkload(t testing.TB, db *sql.DB, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	rng := rand.New(rand.NewSource(3))
	for id := 1000; ; id++ {
		select {
		case <-stop:
			return
		default:
		}
		q, args := "INSERT INTO shop.items (id, qty) VALUES (?, ?)", []any{id, id % 97}
		switch rng.Intn(4) {
		case 0:
			q, args = "UPDATE shop.items SET qty = qty + 1 WHERE id = ?", []any{1000 + rng.Intn(id-999)}
		case 1:
			q, args = "DELETE FROM shop.items WHERE id = ?", []any{1000 + rng.Intn(id-999)}
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Errorf("workload: %s: %v", q, err)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var autoIncClause = regexp.MustCompile(` AUTO_INCREMENT=[0-9]+`)

// showCreate returns SHOW CREATE TABLE without AUTO_INCREMENT and with the
// table's own name replaced by T, or "" when the table does not exist.
func showCreate(db *sql.DB, table string) string {
	d, tb, _ := strings.Cut(table, ".")
	var name, create string
	if err := db.QueryRow("SHOW CREATE TABLE `"+d+"`.`"+tb+"`").Scan(&name, &create); err != nil {
		return ""
	}
	create = strings.Replace(create, "CREATE TABLE `"+tb+"`", "CREATE TABLE T", 1)
	return autoIncClause.ReplaceAllString(create, "")
}

// waitSame waits until each source table equals its replica table (pairs
// of names), row for row and definition for definition.
func waitSame(t testing.TB, src, dst *sql.DB, timeout time.Duration, procs []*e2e.Proc, pairs ...[2]string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	why := ""
	for time.Now().Before(deadline) {
		why = ""
		for _, p := range pairs {
			a, b := showCreate(src, p[0]), showCreate(dst, p[1])
			if a != b {
				why = fmt.Sprintf("definitions differ:\n source  %s: %s\n replica %s: %s", p[0], a, p[1], b)
				break
			}
			if a == "" {
				continue // absent on both
			}
			ra, rb := e2e.TableRows(t, src, p[0]), e2e.TableRows(t, dst, p[1])
			if strings.Join(ra, "\n") != strings.Join(rb, "\n") {
				why = fmt.Sprintf("%s: %d rows on the source, %s: %d on the replica, or values differ", p[0], len(ra), p[1], len(rb))
				break
			}
		}
		if why == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	e2e.LogTails(t, 80, procs...)
	t.Fatalf("replica did not converge within %s: %s", timeout, why)
}

// waitDef waits until a source table and its replica table have the same
// definition.
func waitDef(t testing.TB, src, dst *sql.DB, timeout time.Duration, procs []*e2e.Proc, from, to string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if showCreate(src, from) == showCreate(dst, to) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	e2e.LogTails(t, 80, procs...)
	t.Fatalf("definitions differ after %s:\n source  %s: %s\n replica %s: %s", timeout, from, showCreate(src, from), to, showCreate(dst, to))
}

func same(names ...string) [][2]string {
	out := make([][2]string, len(names))
	for i, n := range names {
		out[i] = [2]string{n, n}
	}
	return out
}

// TestSchemaChanges runs DDL of every supported kind under a running
// workload, restarts sluice across DDL and lets it start behind several
// DDLs with rows between them; both replicas (one with routes) must end
// equal to the source in rows and in SHOW CREATE TABLE. The source writes
// binlog_row_metadata=FULL, so every table map is checked against the
// schema history as well.
func TestSchemaChanges(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{ExtraArgs: []string{"--binlog-row-metadata=FULL"}})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	dst2 := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb, ddb2 := src.DB(t), dst.DB(t), dst2.DB(t)
	e2e.ExecAll(t, sdb, ddlSchema)
	for i := 1; i <= 50; i++ {
		e2e.MustExec(t, sdb, "INSERT INTO shop.items (id, qty, name) VALUES (?, ?, ?)", i, i, fmt.Sprintf("item %d", i))
		e2e.MustExec(t, sdb, "INSERT INTO shop.renames VALUES (?, ?, ?)", i, i, "b")
		e2e.MustExec(t, sdb, "INSERT INTO shop.gone VALUES (?, ?)", i, i)
		e2e.MustExec(t, sdb, "INSERT INTO shop.trunc VALUES (?, ?)", i, i)
		e2e.MustExec(t, sdb, "INSERT INTO shop.ghost VALUES (?, ?)", i, i)
		e2e.MustExec(t, sdb, "INSERT INTO shop.pt VALUES (?, ?)", i, i)
	}
	dir := t.TempDir()
	cfg := writeDDLConfig(t, dir, src, dst, dst2)
	// The first DDL a sink applies kills the process before the sink
	// records it; the restarted sink must not apply it again.
	crashFile := filepath.Join(dir, "crashed-after-ddl")
	t.Setenv("SLUICE_TEST_EXIT_AFTER_DDL", crashFile)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	procs := []*e2e.Proc{p}
	start := time.Now()
	waitSame(t, sdb, ddb, 60*time.Second, procs, same("shop.items", "shop.renames")...)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go itemsWorkload(t, sdb, stop, &wg)

	e2e.ExecAll(t, sdb, `ALTER TABLE shop.items ADD COLUMN note VARCHAR(20) NULL DEFAULT 'n' AFTER qty;
ALTER TABLE shop.items MODIFY qty BIGINT NOT NULL;
ALTER TABLE shop.renames CHANGE a a2 INT NULL, RENAME COLUMN b TO b2;
INSERT INTO shop.renames VALUES (100, 1, 'x');
ALTER TABLE shop.renames ADD INDEX ib (b2), ADD COLUMN c DATETIME(3) NULL FIRST;
UPDATE shop.renames SET c = '2024-01-02 03:04:05.678' WHERE id <= 10;
RENAME TABLE shop.renames TO shop.renamed;
INSERT INTO shop.renamed (id, a2, b2) VALUES (101, 2, 'y');
TRUNCATE TABLE shop.trunc;
INSERT INTO shop.trunc VALUES (1, 10), (2, 20);
DROP TABLE shop.gone;
CREATE TABLE shop.gone (id INT PRIMARY KEY, w VARCHAR(5) CHARACTER SET latin1 NOT NULL DEFAULT '', v INT NULL,
  k SET('x','y') NOT NULL DEFAULT 'x,y', u BIGINT UNSIGNED NULL, d DECIMAL(30,10) UNSIGNED NULL);
INSERT INTO shop.gone VALUES (1, 'é', 1, 'y', 18446744073709551615, 12345678901234567890.0123456789);
CREATE DATABASE shop2;
CREATE TABLE shop2.t (id INT PRIMARY KEY, x DECIMAL(10,3) NULL);
INSERT INTO shop2.t VALUES (1, 1.5), (2, NULL);
CREATE DATABASE tmpdb;
CREATE TABLE tmpdb.z (id INT PRIMARY KEY);
INSERT INTO tmpdb.z VALUES (1);
CREATE TABLE shop.repl (id INT PRIMARY KEY, a INT NULL);
INSERT INTO shop.repl VALUES (1, 1);
CREATE OR REPLACE TABLE shop.repl (id INT PRIMARY KEY, b VARCHAR(5) NULL);
INSERT INTO shop.repl VALUES (2, 'x');
ALTER ONLINE TABLE shop.repl ADD COLUMN c INT NULL;
ALTER TABLE shop.items DROP COLUMN name;
ALTER TABLE shop.empty ADD COLUMN w VARCHAR(3) NULL`)
	e2e.WaitExit(t, p, 30*time.Second)
	if _, err := os.Stat(crashFile); err != nil {
		t.Fatalf("sluice exited, but not after a DDL: %v\n%s", err, e2e.Tail(p.Log(), 20))
	}
	p.Start()
	ghostMigration(t, sdb)
	ptOSCMigration(t, sdb)
	// shop.items changes all the time: only its definition can be compared
	// before the workload stops.
	waitSame(t, sdb, ddb, 60*time.Second, procs, same("shop.renamed", "shop.trunc", "shop.gone", "shop2.t", "tmpdb.z", "shop.ghost", "shop.pt", "shop.empty", "shop.repl")...)
	for _, shadow := range []string{"shop._ghost_gho", "shop._ghost_ghc", "shop._ghost_del", "shop._pt_new", "shop._pt_old"} {
		if got := showCreate(ddb, shadow); got != "" {
			t.Errorf("shadow table %s reached the replica: %s", shadow, got)
		}
	}
	waitDef(t, sdb, ddb, 30*time.Second, procs, "shop.items", "shop.items")
	e2e.ExecAll(t, sdb, "DROP DATABASE tmpdb")
	waitSame(t, sdb, ddb, 30*time.Second, procs, same("tmpdb.z", "shop.renames")...)
	t.Logf("DDL under workload converged after %s", time.Since(start))

	// Behind: sluice is down while several DDLs run with rows between them;
	// the restarted reader decodes the older rows with the older definitions.
	p.Kill()
	e2e.ExecAll(t, sdb, `INSERT INTO shop.renamed (id, a2, b2) VALUES (200, 3, 'z');
ALTER TABLE shop.renamed ADD COLUMN extra INT NOT NULL DEFAULT 7;
INSERT INTO shop.renamed (id, a2, b2, extra) VALUES (201, 4, 'w', 8);
ALTER TABLE shop.renamed DROP COLUMN a2;
UPDATE shop.renamed SET extra = extra + 1 WHERE id >= 200;
ALTER TABLE shop.renamed MODIFY b2 VARCHAR(30) NULL, ADD UNIQUE KEY ue (id, extra);
INSERT INTO shop.renamed (id, b2) VALUES (202, 'a longer value than ten')`)
	time.Sleep(300 * time.Millisecond)
	p.Start()
	waitSame(t, sdb, ddb, 60*time.Second, procs, same("shop.renamed", "shop.trunc", "shop.gone", "shop2.t")...)
	close(stop)
	wg.Wait()
	waitSame(t, sdb, ddb, 60*time.Second, procs, same("shop.items", "shop.renamed", "shop.trunc", "shop.gone", "shop2.t", "tmpdb.z")...)
	waitSame(t, sdb, ddb2, 60*time.Second, procs, [2]string{"shop.items", "archive.items_v2"}, [2]string{"shop2.t", "shop2_copy.t"},
		[2]string{"shop.renamed", "shop.renamed"}, [2]string{"shop.gone", "shop.gone"}, [2]string{"shop.ghost", "shop.ghost"},
		[2]string{"shop.pt", "shop.pt"})
	if got := showCreate(ddb2, "shop.items"); got != "" {
		t.Errorf("replica-2 has shop.items although it is routed to archive.items_v2: %s", got)
	}
	t.Logf("MEASURE schema changes: all converged %s after the first DDL", time.Since(start))
	t0 := time.Now()
	e2e.MustExec(t, sdb, "ALTER TABLE shop.trunc ADD COLUMN lat INT NULL")
	waitDef(t, sdb, ddb, 30*time.Second, procs, "shop.trunc", "shop.trunc")
	t.Logf("MEASURE DDL barrier: an ALTER on the source changed the replica's definition %s later", time.Since(t0))
	if !strings.Contains(p.Log(), "DDL already applied before a restart") {
		t.Errorf("the DDL interrupted by the crash was not recognised as applied:\n%s", e2e.Tail(p.Log(), 40))
	}
	e2e.CheckNoRace(t, p)
	skipUnparsable(t, p, sdb, ddb, dir, src, dst, dst2)
}

var skipHint = regexp.MustCompile(`add skip_ddl: \[\\?"([^"\\]+)\\?"\]`)

// skipUnparsable runs DDL the parser does not know. While the reader is
// caught up, its result is read from the server and the sinks run it as
// written. When the reader is behind, under on_table_error: stop the
// source stops with the statement and its position, and a restart with
// that position in skip_ddl goes on past it (the default quarantines the
// table instead: TestQuarantineUnparsableDDL).
func skipUnparsable(t *testing.T, p *e2e.Proc, sdb, ddb *sql.DB, dir string, src, dst, dst2 *mariadbtest.Server) {
	// The TiDB parser knows no IGNORED indexes (MariaDB 10.6).
	e2e.MustExec(t, sdb, "CREATE TABLE shop.cor (id INT PRIMARY KEY, v INT NOT NULL DEFAULT 2, INDEX iv (v) IGNORED)")
	waitDef(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, "shop.cor", "shop.cor")
	e2e.MustExec(t, sdb, "INSERT INTO shop.cor (id) VALUES (1)")
	waitSame(t, sdb, ddb, 30*time.Second, []*e2e.Proc{p}, same("shop.cor")...)
	if !strings.Contains(p.Log(), "its result was read from the server") {
		t.Errorf("the fallback for a DDL sluice cannot parse is not logged")
	}

	// A clean stop records the position after shop.cor's row (a kill could
	// leave it before CREATE shop.cor, which would then stop the reader).
	if err := p.Stop(); err != nil {
		t.Fatalf("stopping sluice: %v\n%s", err, e2e.Tail(p.Log(), 20))
	}
	e2e.ExecAll(t, sdb, "ALTER TABLE shop.cor ADD COLUMN w INT NULL, ADD INDEX iw (w) IGNORED;\nINSERT INTO shop.items (id, qty) VALUES (99999, 1)")
	srcTables := `    tables: ["shop.*", "shop2.*", "tmpdb.*"]` + "\n"
	e2e.EditConfig(t, filepath.Join(dir, "sluice.yaml"), srcTables, srcTables+"    on_table_error: stop\n")
	p.Start()
	e2e.WaitExit(t, p, 30*time.Second)
	log := p.Log()
	m := skipHint.FindStringSubmatch(log)
	if m == nil || !strings.Contains(log, "the reader stops here") || !strings.Contains(log, "IGNORED") {
		t.Fatalf("no error naming the statement, its position and skip_ddl:\n%s", e2e.Tail(log, 20))
	}
	cfg := writeDDLConfig(t, dir, src, dst, dst2, m[1])
	p2 := e2e.StartProc(t, "sluice2.log", "run", "--config", cfg)
	waitSame(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p2}, same("shop.items")...)
	if !strings.Contains(p2.Log(), "DDL skipped by skip_ddl") {
		t.Errorf("the skip is not logged")
	}
}

// ghostMigration changes shop.ghost the way gh-ost does: a changelog table,
// a copy made LIKE the original and altered, rows copied while writes to
// the original are replayed on the copy, then the atomic cut-over RENAME.
func ghostMigration(t testing.TB, db *sql.DB) {
	e2e.ExecAll(t, db, `CREATE TABLE /* gh-ost */ shop._ghost_ghc (id BIGINT AUTO_INCREMENT PRIMARY KEY, last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, hint VARCHAR(64) NOT NULL, value VARCHAR(4096) NOT NULL, UNIQUE KEY hint_uidx (hint));
CREATE TABLE /* gh-ost */ shop._ghost_gho LIKE shop.ghost;
ALTER /* gh-ost */ TABLE shop._ghost_gho ADD COLUMN c VARCHAR(10) NOT NULL DEFAULT 'g', MODIFY v BIGINT NOT NULL;
INSERT INTO shop._ghost_ghc (hint, value) VALUES ('state', 'GhostTableMigrated');
INSERT INTO shop._ghost_gho (id, v) SELECT id, v FROM shop.ghost WHERE id <= 25;
UPDATE shop.ghost SET v = v + 100 WHERE id IN (3, 30);
UPDATE shop._ghost_gho SET v = v + 100 WHERE id IN (3, 30);
INSERT INTO shop._ghost_gho (id, v) SELECT id, v FROM shop.ghost WHERE id > 25;
INSERT INTO shop.ghost VALUES (1001, 5);
INSERT INTO shop._ghost_gho (id, v) VALUES (1001, 5);
DELETE FROM shop.ghost WHERE id = 4;
DELETE FROM shop._ghost_gho WHERE id = 4;
RENAME /* gh-ost */ TABLE shop.ghost TO shop._ghost_del, shop._ghost_gho TO shop.ghost;
DROP /* gh-ost */ TABLE IF EXISTS shop._ghost_del;
DROP /* gh-ost */ TABLE IF EXISTS shop._ghost_ghc;
INSERT INTO shop.ghost (id, v, c) VALUES (1002, 6, 'after')`)
}

// ptOSCMigration changes shop.pt the way pt-online-schema-change does: a
// copy created from SHOW CREATE TABLE and altered, triggers that mirror
// writes into it, a chunked copy, then the atomic cut-over RENAME.
func ptOSCMigration(t testing.TB, db *sql.DB) {
	create := strings.Replace(showCreateRaw(t, db, "shop.pt"), "CREATE TABLE `pt`", "CREATE TABLE `shop`.`_pt_new`", 1)
	e2e.ExecAll(t, db, create+`;
ALTER TABLE `+"`shop`.`_pt_new`"+` ADD COLUMN d INT NULL, ADD INDEX iv (v);
CREATE TRIGGER shop.pt_osc_shop_pt_ins AFTER INSERT ON shop.pt FOR EACH ROW REPLACE INTO shop._pt_new (id, v) VALUES (NEW.id, NEW.v);
CREATE TRIGGER shop.pt_osc_shop_pt_upd AFTER UPDATE ON shop.pt FOR EACH ROW REPLACE INTO shop._pt_new (id, v) VALUES (NEW.id, NEW.v);
CREATE TRIGGER shop.pt_osc_shop_pt_del AFTER DELETE ON shop.pt FOR EACH ROW DELETE IGNORE FROM shop._pt_new WHERE id = OLD.id;
INSERT LOW_PRIORITY IGNORE INTO shop._pt_new (id, v) SELECT id, v FROM shop.pt WHERE id <= 25 LOCK IN SHARE MODE;
UPDATE shop.pt SET v = v + 100 WHERE id IN (3, 30);
INSERT INTO shop.pt VALUES (1001, 1);
DELETE FROM shop.pt WHERE id = 4;
INSERT LOW_PRIORITY IGNORE INTO shop._pt_new (id, v) SELECT id, v FROM shop.pt WHERE id > 25 LOCK IN SHARE MODE;
RENAME TABLE shop.pt TO shop._pt_old, shop._pt_new TO shop.pt;
DROP TRIGGER IF EXISTS shop.pt_osc_shop_pt_ins;
DROP TRIGGER IF EXISTS shop.pt_osc_shop_pt_upd;
DROP TRIGGER IF EXISTS shop.pt_osc_shop_pt_del;
DROP TABLE IF EXISTS shop._pt_old;
INSERT INTO shop.pt (id, v, d) VALUES (1002, 2, 3)`)
}

func showCreateRaw(t testing.TB, db *sql.DB, table string) string {
	t.Helper()
	d, tb, _ := strings.Cut(table, ".")
	var name, create string
	if err := db.QueryRow("SHOW CREATE TABLE `"+d+"`.`"+tb+"`").Scan(&name, &create); err != nil {
		t.Fatal(err)
	}
	return create
}
