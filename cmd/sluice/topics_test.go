package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// topicRecords returns the number of records on all partitions of topic,
// 0 when it does not exist. It asks through a new client: a client's
// metadata is a cache refreshed every few seconds.
func topicRecords(t *testing.T, ctx context.Context, broker, topic string) int64 {
	t.Helper()
	c := kafka.NewClient([]string{broker}, 0, 1<<20)
	n, err := c.Partitions(ctx, topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	var sum int64
	for p := range n {
		first, end, err := c.Offsets(ctx, topic, p)
		if err != nil {
			t.Fatalf("offsets of %s/%d: %v", topic, p, err)
		}
		sum += end - first
	}
	return sum
}

// TestTopicNames: tables whose names Kafka would mix up or refuse
// (shop.order_items next to shop_order.items, 64 × ü), and one table
// captured by two sources of one config from two servers into two
// replicas, all replicate on topics of their own, named as designed.
func TestTopicNames(t *testing.T) {
	srcA, srcB := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	dstA, dstB := mariadbtest.Start(t, mariadbtest.Options{}), mariadbtest.Start(t, mariadbtest.Options{})
	sa, sb, da, db := srcA.DB(t), srcB.DB(t), dstA.DB(t), dstB.DB(t)
	u := strings.Repeat("ü", 64)
	e2e.ExecAll(t, sa, fmt.Sprintf(`CREATE DATABASE shop;
CREATE DATABASE shop_order;
CREATE TABLE shop.order_items (id INT PRIMARY KEY, v VARCHAR(10));
CREATE TABLE shop_order.items (id INT PRIMARY KEY, v VARCHAR(10));
CREATE TABLE shop.%s (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO shop.order_items VALUES (1, 'a1'), (2, 'a2');
INSERT INTO shop_order.items VALUES (1, 'b1');
INSERT INTO shop.%s VALUES (1, 'u1')`, "`"+u+"`", "`"+u+"`"))
	e2e.ExecAll(t, sb, `CREATE DATABASE shop;
CREATE TABLE shop.order_items (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO shop.order_items VALUES (1, 'other'), (7, 'x')`)
	dir, broker, admin := t.TempDir(), e2e.FreeAddr(t), e2e.FreeAddr(t)
	cfg := e2e.WriteFile(t, dir, "sluice.yaml", fmt.Sprintf(`name: test
kafka:
  embedded:
    listen: %s
    data_dir: %s
  partitions: 3
admin:
  listen: %s
connectors:
  - name: src-a
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4242
    tables: ["shop.*", "shop_order.*"]
  - name: src-b
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4243
    tables: ["shop.order_items"]
  - name: replica-a
    type: mysql-sink
    source: src-a
    dsn: "root@tcp(%s)/"
  - name: replica-b
    type: mysql-sink
    source: src-b
    dsn: "root@tcp(%s)/"
`, broker, filepath.Join(dir, "kafka"), admin, srcA.Addr(), srcB.Addr(), dstA.Addr(), dstB.Addr()))
	if code, out := e2e.Run(t, "check", "--config", cfg); strings.Contains(out, "topic") && code != 0 {
		t.Errorf("sluice check exited %d naming a topic:\n%s", code, out)
	}
	p := e2e.StartProc(t, "sluice.log", "run", "--config", cfg)
	tablesA := []string{"shop.order_items", "shop_order.items", "shop." + u}
	e2e.WaitEqual(t, sa, da, 90*time.Second, []*e2e.Proc{p}, tablesA...)
	e2e.WaitEqual(t, sb, db, 90*time.Second, []*e2e.Proc{p}, "shop.order_items")
	e2e.ExecAll(t, sa, fmt.Sprintf(`INSERT INTO shop.order_items VALUES (3, 'a3');
UPDATE shop_order.items SET v = 'b1x' WHERE id = 1;
INSERT INTO shop.%s VALUES (2, 'u2')`, "`"+u+"`"))
	e2e.ExecAll(t, sb, "DELETE FROM shop.order_items WHERE id = 7;\nINSERT INTO shop.order_items VALUES (8, 'y')")
	e2e.WaitEqual(t, sa, da, 60*time.Second, []*e2e.Proc{p}, tablesA...)
	e2e.WaitEqual(t, sb, db, 60*time.Second, []*e2e.Proc{p}, "shop.order_items")

	ctx := e2e.CtxTimeout(t, time.Minute)
	a, b := event.Topics{Pipeline: "test", Source: "src-a"}, event.Topics{Pipeline: "test", Source: "src-b"}
	for _, w := range []struct {
		topic, prefix string
		rows          int64
	}{
		{a.Table("shop", "order_items"), "test.src-a.shop.order_items_", 3},
		{a.Table("shop_order", "items"), "test.src-a.shop_order.items_", 2},
		{a.Table("shop", u), "test.src-a.shop." + strings.Repeat("_", 128) + "_", 2},
		{b.Table("shop", "order_items"), "test.src-b.shop.order_items_", 4},
	} {
		if !strings.HasPrefix(w.topic, w.prefix) || len(w.topic) != len(w.prefix)+12 {
			t.Errorf("topic %q, want %q and 12 hex digits", w.topic, w.prefix)
		}
		if n := topicRecords(t, ctx, broker, w.topic); n != w.rows {
			t.Errorf("topic %s holds %d records, want %d", w.topic, n, w.rows)
		}
	}
	for _, old := range []string{"test.shop.order_items", "test.shop_order.items"} {
		if n := topicRecords(t, ctx, broker, old); n != 0 {
			t.Errorf("topic %s of the old naming holds %d records", old, n)
		}
	}
}

// TestTopicsUpgrade: a pipeline that published under the naming before
// per-source topics (simulated by SLUICE_TEST_LEGACY_TOPICS: old topic
// names, schema history records without a topic) keeps its table on its
// old topic after the upgrade, through a DDL and another restart, with
// nothing lost or doubled; a table created after the upgrade gets the new
// name.
func TestTopicsUpgrade(t *testing.T) {
	e := e2e.NewFaultEnv(t)
	ctx := e2e.CtxTimeout(t, 4*time.Minute)
	procs := func(p *e2e.Proc) []*e2e.Proc { return []*e2e.Proc{p} }
	e2e.ExecAll(t, e.SDB, "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b')")
	t.Setenv("SLUICE_TEST_LEGACY_TOPICS", "1")
	p := e.Run()
	e2e.WaitEqual(t, e.SDB, e.DDB, 60*time.Second, procs(p), "shop.t")
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (3, 'c')")
	e2e.WaitEqual(t, e.SDB, e.DDB, 60*time.Second, procs(p), "shop.t")
	if err := p.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	tp := event.Topics{Pipeline: "test", Source: "src"}
	legacy, fresh := tp.LegacyTable("shop", "t"), tp.Table("shop", "t")
	if legacy != "test.shop.t" || fresh != "test.src.shop.t" {
		t.Fatalf("topics %s and %s", legacy, fresh)
	}
	if n := topicRecords(t, ctx, e.Broker, legacy); n != 3 {
		t.Fatalf("the old version wrote %d records to %s, want 3", n, legacy)
	}

	os.Unsetenv("SLUICE_TEST_LEGACY_TOPICS")
	p.Start()
	e2e.ExecAll(t, e.SDB, `INSERT INTO shop.t VALUES (4, 'd'), (5, 'e');
UPDATE shop.t SET v = 'z' WHERE id = 1;
DELETE FROM shop.t WHERE id = 2;
ALTER TABLE shop.t ADD COLUMN w INT;
INSERT INTO shop.t VALUES (6, 'f', 6);
CREATE TABLE shop.u (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO shop.u VALUES (1, 'u1'), (2, 'u2')`)
	e2e.WaitEqual(t, e.SDB, e.DDB, 60*time.Second, procs(p), "shop.t", "shop.u")
	if err := p.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	// A third run: the table's history now names its topic.
	p.Start()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (7, 'g', 7)")
	e2e.WaitEqual(t, e.SDB, e.DDB, 60*time.Second, procs(p), "shop.t", "shop.u")
	e2e.MustContain(t, "log", p.Log(), "table keeps its topic from before per-source topic names")
	for topic, want := range map[string]int64{legacy: 3 + 5 + 1, fresh: 0, tp.Table("shop", "u"): 2, tp.LegacyTable("shop", "u"): 0} {
		if n := topicRecords(t, ctx, e.Broker, topic); n != want {
			t.Errorf("topic %s holds %d records, want %d", topic, n, want)
		}
	}
}
