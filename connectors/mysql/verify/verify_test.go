package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

const verifySchema = `CREATE DATABASE shop;
CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(50) NULL, price DECIMAL(12,4) NOT NULL,
  ratio DOUBLE NULL, f FLOAT NULL, data BLOB NULL, doubled INT AS (id * 2) VIRTUAL);
CREATE TABLE shop.pairs (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT NULL, PRIMARY KEY (a, b));
CREATE TABLE shop.empty (id INT PRIMARY KEY)`

// verifyPair starts a source and a replica holding the same shop tables,
// and a config whose sink replica-1 replicates them. The replica's
// checkpoint says the sink applied the source's last transaction, as a
// caught-up sink's would.
func verifyPair(t testing.TB, items int) (cfg *config.Config, src, rep *sql.DB) {
	t.Helper()
	s := mariadbtest.Start(t, mariadbtest.Options{})
	r := mariadbtest.Start(t, mariadbtest.Options{})
	src, rep = s.DB(t), r.DB(t)
	for _, db := range []*sql.DB{src, rep} {
		execStmts(t, db, verifySchema)
		execStmts(t, db, "INSERT INTO shop.pairs VALUES (1, 'a', 1), (2, 'b', NULL), (3, 'c', 3), (3, 'd', 4)")
		for i := 0; i < items; i += 1000 {
			var vals []string
			for j := i; j < min(i+1000, items); j++ {
				vals = append(vals, fmt.Sprintf("(%d, IF(%d %% 3 = 0, '', CONCAT('item ', %d)), %d.0625, %d / 7, %d / 3, UNHEX('00FF%04X'))", j, j, j, j, j, j, j))
			}
			execStmts(t, db, "INSERT INTO shop.items (id, name, price, ratio, f, data) VALUES "+strings.Join(vals, ", "))
		}
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`name: test
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 77
    tables: ["shop.*"]
  - name: replica-1
    type: mysql-sink
    source: src
    dsn: "root@tcp(%s)/"
`, s.Addr(), r.Addr())), "verify.yaml", config.Kinds{source.TypeName: source.Kind, sink.TypeName: sink.Kind})
	if err != nil {
		t.Fatal(err)
	}
	// The sink's checkpoint: the Seq of the source's last transaction (the
	// position of its GTID event), as a caught-up sink records it. The
	// source stays idle, so verify must see from the binlog that nothing
	// captured follows.
	var file string
	if err := src.QueryRow("SHOW MASTER STATUS").Scan(&file, new(any), new(any), new(any)); err != nil {
		t.Fatal(err)
	}
	var p uint64
	rows, err := src.Query("SHOW BINLOG EVENTS IN '" + file + "'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, typ, info string
		var at, sid, end uint64
		if err := rows.Scan(&name, &at, &typ, &sid, &end, &info); err != nil {
			t.Fatal(err)
		}
		if typ == "Gtid" {
			p = at
		}
	}
	rows.Close()
	n, _ := event.BinlogFileNumber(file)
	ck := checkpointOf(cfg, sink.ConfigOf(cfg.Connector("replica-1")))
	ctx := context.Background()
	if err := ck.Create(ctx, rep); err != nil {
		t.Fatal(err)
	}
	tx, err := rep.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ck.Save(ctx, tx, 1, event.MakeSeq(n, p, 0), nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return cfg, src, rep
}

func execStmts(t testing.TB, db *sql.DB, stmts string) {
	t.Helper()
	for _, q := range strings.Split(stmts, ";\n") {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func runVerify(t *testing.T, cfg *config.Config, opts connector.VerifyOptions) map[string]connector.TableResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Verify(ctx, cfg, sink.ConfigOf(cfg.Connector("replica-1")), opts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]connector.TableResult{}
	for _, tr := range res.Tables {
		t.Logf("%s", tr.String())
		out[tr.Table] = tr
	}
	t.Logf("%s", res.Summary())
	return out
}

// TestVerifyFindsAndRepairsRows: equal tables are equal; a missing, an
// extra and changed rows (NULL vs ”, decimal, double, float, blob) are
// named by key, on a simple and a composite primary key; --repair makes
// the replica equal.
func TestVerifyFindsAndRepairsRows(t *testing.T) {
	cfg, _, rep := verifyPair(t, 3000)
	opts := connector.VerifyOptions{ChunkRows: 5000, MaxWait: 5 * time.Second} // 3000 rows: one chunk, drilled in 16 parts
	for name, r := range runVerify(t, cfg, opts) {
		if !r.Equal() || r.Err != nil {
			t.Errorf("%s: %s before any change", name, r.String())
		}
	}
	execStmts(t, rep, `DELETE FROM shop.items WHERE id = 5;
INSERT INTO shop.items (id, name, price) VALUES (100000, 'extra', 1);
UPDATE shop.items SET name = NULL WHERE id = 6;
UPDATE shop.items SET price = price + 0.0001 WHERE id = 1500;
UPDATE shop.items SET ratio = ratio + 1e-12 WHERE id = 2001;
UPDATE shop.items SET f = f * 1.0000001 WHERE id = 2002;
UPDATE shop.items SET data = UNHEX('00FF0000') WHERE id = 2999;
DELETE FROM shop.pairs WHERE a = 2;
UPDATE shop.pairs SET v = 5 WHERE a = 3 AND b = 'd'`)
	got := runVerify(t, cfg, opts)
	items := got["shop.items"]
	if items.Missing != 1 || items.Extra != 1 || items.Changed != 5 || items.Rows != 3000 ||
		strings.Join(items.MissingKeys, " ") != "id=5" || strings.Join(items.ExtraKeys, " ") != "id=100000" ||
		strings.Join(items.ChangedKeys, " ") != "id=6 id=1500 id=2001 id=2002 id=2999" {
		t.Errorf("shop.items: %s", items.String())
	}
	pairs := got["shop.pairs"]
	if pairs.Missing != 1 || pairs.Extra != 0 || pairs.Changed != 1 ||
		strings.Join(pairs.MissingKeys, " ") != `(a=2, b="b")` || strings.Join(pairs.ChangedKeys, " ") != `(a=3, b="d")` {
		t.Errorf("shop.pairs: %s", pairs.String())
	}
	if e := got["shop.empty"]; !e.Equal() || e.Rows != 0 {
		t.Errorf("shop.empty: %s", e.String())
	}

	opts.Repair = true
	got = runVerify(t, cfg, opts)
	if r := got["shop.items"]; r.Repaired != 7 || !r.Equal() {
		t.Errorf("repair of shop.items: %s", r.String())
	}
	if r := got["shop.pairs"]; r.Repaired != 2 || !r.Equal() {
		t.Errorf("repair of shop.pairs: %s", r.String())
	}
	opts.Repair = false
	for name, r := range runVerify(t, cfg, opts) {
		if !r.Equal() {
			t.Errorf("%s after repair: %s", name, r.String())
		}
	}
}

// TestVerifyTablesOnOneSide: a table only on the replica differs; an empty
// source table the sink has not created is equal; --table selects.
func TestVerifyTablesOnOneSide(t *testing.T) {
	cfg, _, rep := verifyPair(t, 10)
	execStmts(t, rep, "DROP TABLE shop.empty;\nCREATE TABLE shop.old (id INT PRIMARY KEY);\nINSERT INTO shop.old VALUES (1), (2)")
	got := runVerify(t, cfg, connector.VerifyOptions{})
	if r := got["shop.old"]; r.Equal() || r.Extra != 2 || !strings.Contains(r.String(), "only on the replica") {
		t.Errorf("shop.old: %s", r.String())
	}
	if r := got["shop.empty"]; !r.Equal() {
		t.Errorf("shop.empty: %s", r.String())
	}
	got = runVerify(t, cfg, connector.VerifyOptions{Tables: []string{"shop.p*"}})
	if len(got) != 1 || !got["shop.pairs"].Equal() {
		t.Errorf("--table shop.p*: %v", got)
	}
}

// TestVerifySinkNotAdvancing: a source change the sink never applies
// makes verify fail with connector.ErrSinkNotAdvancing, not report a difference.
func TestVerifySinkNotAdvancing(t *testing.T) {
	cfg, src, _ := verifyPair(t, 10)
	execStmts(t, src, "UPDATE shop.items SET name = 'new' WHERE id = 3")
	got := runVerify(t, cfg, connector.VerifyOptions{MaxWait: time.Second, Tables: []string{"shop.items"}})
	if r := got["shop.items"]; !errors.Is(r.Err, connector.ErrSinkNotAdvancing) {
		t.Errorf("shop.items: %s, want %v", r.String(), connector.ErrSinkNotAdvancing)
	}
}

// TestVerifyRoutes: a routed table is compared with its replica table.
func TestVerifyRoutes(t *testing.T) {
	cfg, _, rep := verifyPair(t, 10)
	execStmts(t, rep, "CREATE DATABASE archive;\nCREATE TABLE archive.pairs2 LIKE shop.pairs;\n"+
		"INSERT INTO archive.pairs2 SELECT * FROM shop.pairs;\nDELETE FROM archive.pairs2 WHERE a = 1")
	sink.ConfigOf(cfg.Connector("replica-1")).Routes = []config.Route{{From: "shop.pairs", To: "archive.pairs2"}}
	got := runVerify(t, cfg, connector.VerifyOptions{Tables: []string{"shop.pairs"}, MaxWait: 5 * time.Second})
	r := got["shop.pairs -> archive.pairs2"]
	if r.Missing != 1 || strings.Join(r.MissingKeys, " ") != `(a=1, b="a")` || len(got) != 1 {
		t.Errorf("routed shop.pairs: %v", got)
	}
}
