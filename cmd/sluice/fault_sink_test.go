package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// Sink faults of issue 6, items 5, 6 and 7: a replica that refuses writes
// or is down, poison messages, and what the sink resumes from gone wrong.

// TestSinkPoisonMessages: a row the replica rejects stops the sink under
// on_table_error: stop (the default quarantines its table instead:
// TestQuarantineRejectedRow), naming the message, with nothing committed past it; with
// errors.tolerance all the same row, a marker that is not JSON, and a
// transaction whose rows are not JSON or lack the envelope's transaction
// block go to the dead-letter topic, the rest is applied, and every
// skipped message is in the log, the metric, /status and the replica.
func TestSinkPoisonMessages(t *testing.T) {
	e := e2e.NewFaultEnv(t)
	e2e.ExecAll(t, e.DDB, "CREATE DATABASE shop;\nCREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(3) NOT NULL)") // narrower than the source's
	e.WriteConfig("root", "    on_table_error: stop\n")
	p := e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	e.WaitRows(p, 3, 30*time.Second)
	before := e.Checkpoint()

	// on_table_error: stop: the replica rejects id 100; the sink stops at its message.
	tx, _ := e.SDB.Begin()
	e2e.MustExec(t, tx, "INSERT INTO shop.t VALUES (100, 'toolong')")
	e2e.MustExec(t, tx, "INSERT INTO shop.t VALUES (101, 'ok')")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	log := e2e.WaitFailed(t, p, 30*time.Second)
	t.Logf("default tolerance: stopped %s after the poison row", time.Since(start).Round(time.Millisecond))
	e2e.MustContain(t, "log", log, `key "{\"id\":100}"`, "test.src.shop.t/", "Data too long", "a poison message: the sink stops here", "tolerance: all")
	if after := e.Checkpoint(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("checkpoint moved past the poison message: %v, was %v", after, before)
	}
	var n int
	_ = e.DDB.QueryRow("SELECT COUNT(*) FROM shop.t").Scan(&n)
	if n != 3 {
		t.Errorf("replica has %d rows after the stop, want 3 (nothing of the poisoned transaction)", n)
	}

	// tolerance: all. The rejected row is dead-lettered, the rest applied.
	e.WriteConfig("root", "    errors: {tolerance: all, dead_letter_topic: test.dlq}\n")
	p = e.Run()
	e.WaitRows(p, 4, 30*time.Second)
	// A marker that is not JSON, and a transaction of two rows that are
	// not JSON and not the envelope's shape.
	m := e.LastMarker()
	e.Produce("_sluice.test.src.transaction", 0, "", "not json {")
	seq := m["seq"].(string)
	fake := seq[:len(seq)-10] + "0000000001" // after the last transaction, before the next
	r0 := e.Produce("test.src.shop.t", 0, `{"id":7}`, "garbage")
	e.Produce("test.src.shop.t", 0, `{"id":8}`, `{"op":"c","after":{"id":8,"v":"x"}}`)
	marker, _ := json.Marshal(map[string]any{"status": "END", "id": "fake", "event_count": 2, "seq": fake,
		"position": m["position"], "partitions": []map[string]any{{"topic": "test.src.shop.t", "partition": 0, "count": 2}}})
	e.Produce("_sluice.test.src.transaction", 0, "", string(marker))
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (200, 'x'), (201, 'y')")
	e.WaitRows(p, 6, 30*time.Second)

	// Reported: the dead-letter topic with headers, the replica's record,
	// /status, the metric and the log.
	ctx := e2e.CtxTimeout(t, 20*time.Second)
	r, err := e.Kafka.NewPartitionReader(ctx, "test.dlq", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for len(got) < 4 {
		rec, err := r.Fetch(ctx)
		if err != nil {
			t.Fatalf("dead-letter topic: %v (got %v)", err, got)
		}
		h := map[string]string{}
		for _, x := range rec.Headers {
			h[x.Key] = string(x.Value)
		}
		got = append(got, fmt.Sprintf("%s %s/%s@%s key=%s", h["sluice.error.reason"], h["sluice.original.topic"],
			h["sluice.original.partition"], h["sluice.original.offset"], rec.Key))
		if h["sluice.error.message"] == "" || h["sluice.connector"] != "replica-1" {
			t.Errorf("dead letter %d headers: %v", len(got), h)
		}
	}
	t.Logf("dead letters: %q", got)
	all := strings.Join(got, "\n")
	e2e.MustContain(t, "dead-letter topic", all, `rejected test.src.shop.t/`, `key={"id":100}`, "decode _sluice.test.src.transaction/0@",
		fmt.Sprintf("decode test.src.shop.t/0@%d key={\"id\":7}", r0), fmt.Sprintf("decode test.src.shop.t/0@%d key={\"id\":8}", r0+1))
	var recorded int
	_ = e.DDB.QueryRow("SELECT COUNT(*) FROM sluice.sluice_dead_letters").Scan(&recorded)
	if recorded != 4 {
		t.Errorf("sluice_dead_letters holds %d rows, want 4", recorded)
	}
	status := e2e.HTTPGet(t, "http://"+e.Admin+"/status")
	e2e.MustContain(t, "/status", strings.Join(strings.Fields(status), ""), `"dead_letters":{"topic":"test.dlq","count":4`)
	metrics := e2e.HTTPGet(t, "http://"+e.Admin+"/metrics")
	e2e.MustContain(t, "/metrics", metrics, `sluice_sink_dead_lettered_total{connector="replica-1",pipeline="test",reason="decode",topic="test.src.shop.t"} 2`,
		`sluice_sink_dead_lettered_total{connector="replica-1",pipeline="test",reason="rejected",topic="test.src.shop.t"} 1`)
	if c := strings.Count(p.Log(), "poison message sent to the dead-letter topic"); c != 4 {
		t.Errorf("%d WARN lines for dead letters, want 4", c)
	}
	var v string
	if err := e.DDB.QueryRow("SELECT v FROM shop.t WHERE id = 101").Scan(&v); err != nil || v != "ok" {
		t.Errorf("id 101 (same transaction as the rejected row) = %q, %v", v, err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestSinkReplicaFaults: a replica made read-only under a user without
// SUPER, then a replica that is down: the sink retries retry.max_attempts
// times with a backoff, then stops with the cause and the count; its
// checkpoint never passes what the replica committed; fixed, it resumes.
// Then a row locked by another session makes the sink's write time out
// once: retried, it succeeds when the lock is released.
func TestSinkReplicaFaults(t *testing.T) {
	e := e2e.NewFaultEnv(t)
	e2e.ExecAll(t, e.DDB, "CREATE USER 'sink'@'%';\n"+
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON shop.* TO 'sink'@'%';\n"+
		"GRANT CREATE, SELECT, INSERT, UPDATE ON sluice.* TO 'sink'@'%'")
	e.WriteConfig("sink", "    retry: {max_attempts: 3, max_backoff: 1s}\n")
	p := e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	e.WaitRows(p, 3, 30*time.Second)
	e.CheckApplied(3, 1)
	before := e.Checkpoint()

	e2e.MustExec(t, e.DDB, "SET GLOBAL read_only = ON")
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (10, 'r')")
	start := time.Now()
	log := e2e.WaitFailed(t, p, 60*time.Second)
	t.Logf("read-only replica: stopped %s after the write", time.Since(start).Round(time.Millisecond))
	e2e.MustContain(t, "log", log, "read-only", "gave up after 3 failed attempts in a row", "retry.max_attempts: 3", "the sink resumes from its last replica commit")
	if after := e.Checkpoint(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("checkpoint moved while the replica refused writes: %v, was %v", after, before)
	}
	e.CheckApplied(3, 1)

	e2e.MustExec(t, e.DDB, "SET GLOBAL read_only = OFF")
	p = e.Run()
	e.WaitRows(p, 4, 30*time.Second)
	e.CheckApplied(4, 2)

	// The replica down: the same bounded retries.
	if err := e.Dst.Stop(); err != nil {
		t.Fatal(err)
	}
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (11, 'd')")
	start = time.Now()
	log = e2e.WaitFailed(t, p, 60*time.Second)
	t.Logf("replica down: stopped %s after the write", time.Since(start).Round(time.Millisecond))
	e2e.MustContain(t, "log", log, "gave up after 3 failed attempts in a row", "connection refused")
	if err := e.Dst.Restart(); err != nil {
		t.Fatal(err)
	}
	e.CheckApplied(4, 2)
	e2e.MustExec(t, e.DDB, "SET GLOBAL innodb_lock_wait_timeout = 1")
	p = e.Run()
	e.WaitRows(p, 5, 30*time.Second)
	e.CheckApplied(5, 3)

	// A row locked by another replica session: the sink's write times out
	// (as a deadlock victim would fail), it is retried, and succeeds once
	// the lock is gone, within retry.max_attempts.
	ctx := e2e.CtxTimeout(t, 30*time.Second)
	conn, err := e.DDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"BEGIN", "SELECT * FROM shop.t WHERE id = 1 FOR UPDATE"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	e2e.MustExec(t, e.SDB, "UPDATE shop.t SET v = 'z' WHERE id = 1")
	for !strings.Contains(p.Log(), "Lock wait timeout exceeded") {
		if ctx.Err() != nil {
			t.Fatalf("no lock wait timeout:\n%s", e2e.Tail(p.Log(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	for {
		var v string
		_ = e.DDB.QueryRow("SELECT v FROM shop.t WHERE id = 1").Scan(&v)
		if v == "z" {
			break
		}
		if done, _ := p.Exited(); done || ctx.Err() != nil {
			t.Fatalf("update not applied after the lock was released:\n%s", e2e.Tail(p.Log(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.CheckApplied(5, 4)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestSinkResumeFaults: what a sink resumes from gone wrong, each made
// for real on the broker or the replica and each a stop with the
// recovery: retention deleted markers the sink had not read; the
// checkpoint rows on the replica corrupted; a table topic deleted and
// created again with more partitions (the sink refuses its recorded
// offsets, the source refuses to publish with another count); the
// source's checkpoint record on its compacted topic corrupted.
func TestSinkResumeFaults(t *testing.T) {
	e := e2e.NewFaultEnv(t)
	p := e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	e.WaitRows(p, 3, 30*time.Second)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	// The source alone publishes one more transaction; retention (here
	// DeleteRecords) removes it before the sink read it.
	txTopic := "_sluice.test.src.transaction"
	ctx := e2e.CtxTimeout(t, 60*time.Second)
	_, end0, _ := e.Kafka.Offsets(ctx, txTopic, 0)
	p = e.Run("--connector", "src")
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (4, 'd')")
	for {
		if _, end, _ := e.Kafka.Offsets(ctx, txTopic, 0); end > end0 {
			end0 = end
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	e2e.DeleteRecords(t, cl, txTopic, end0)
	p = e.Run()
	log := e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "log", log, txTopic+"/0: resume offset", "offset no longer on the broker",
		"UPDATE `sluice`.`sluice_offsets` SET next_offset = <the partition's first offset> WHERE sink = 'test/replica-1' AND topic = '"+txTopic+"' AND kpartition = 0",
		"sluice snapshot --config FILE --connector SOURCE --table db.table")

	// The replica's checkpoint rows corrupted.
	var seq string
	if err := e.DDB.QueryRow("SELECT seq FROM sluice.sluice_offsets WHERE topic = ?", txTopic).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	e2e.MustExec(t, e.DDB, "UPDATE sluice.sluice_offsets SET seq = 'garbage' WHERE topic = ?", txTopic)
	p = e.Run("--connector", "replica-1")
	log = e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "log", log, "is inconsistent: the transaction topic's seq \"garbage\" is not a sluice seq",
		"DELETE FROM `sluice`.`sluice_offsets` WHERE sink = 'test/replica-1'")
	e2e.MustExec(t, e.DDB, "UPDATE sluice.sluice_offsets SET seq = ?, next_offset = ? WHERE topic = ?", seq, end0, txTopic) // as the first error said

	// The table topic deleted and created again with 5 partitions.
	e2e.DeleteTopic(t, cl, "test.src.shop.t")
	for {
		if n, err := e.Kafka.Partitions(ctx, "test.src.shop.t"); err != nil || n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := e.Kafka.EnsureTopic(ctx, kafka.TopicSpec{Name: "test.src.shop.t", Partitions: 5}); err != nil || n != 5 {
		t.Fatalf("re-create test.src.shop.t: %d partitions, %v", n, err)
	}
	p = e.Run("--connector", "replica-1")
	log = e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "log", log, "test.src.shop.t/", "is past the partition's end 0", "it has 5 now", "DELETE FROM `sluice`.`sluice_offsets`")
	p = e.Run("--connector", "src")
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (5, 'e')")
	log = e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "log", log, "topic test.src.shop.t has 5 partitions, kafka.partitions is 3", "set kafka.partitions: 5")

	// The source's checkpoint corrupted on its compacted topic.
	off := e.Produce("_sluice.test.src.offsets", 0, "src", "garbage")
	p = e.Run("--connector", "src")
	log = e2e.WaitFailed(t, p, 30*time.Second)
	e2e.MustContain(t, "log", log, fmt.Sprintf("checkpoint _sluice.test.src.offsets/0 offset %d key src: source checkpoint record is corrupt", off),
		"the source cannot tell where it stopped", "sluice verify --config FILE --repair")
}

// TestSinkReplicaFull: a replica whose InnoDB system tablespace is 12 MB
// and cannot grow (innodb_data_file_path without autoextend, no
// file-per-table) runs out of space ("table is full") while large rows
// arrive: the sink retries retry.max_attempts times, then stops, and its
// checkpoint is exactly the transactions whose rows the replica holds.
func TestSinkReplicaFull(t *testing.T) {
	e := e2e.NewFaultEnvWith(t, mariadbtest.Options{ExtraArgs: []string{"--innodb-file-per-table=0", "--innodb-data-file-path=ibdata1:12M"}})
	e.WriteConfig("root", "    retry: {max_attempts: 3, max_backoff: 1s}\n    batch_rows: 1\n")
	e2e.MustExec(t, e.SDB, "CREATE TABLE shop.big (id INT PRIMARY KEY, pad LONGTEXT NOT NULL)")
	p := e.Run()
	e2e.MustExec(t, e.SDB, "INSERT INTO shop.t VALUES (1, 'a')")
	e.WaitRows(p, 1, 30*time.Second)
	pad := strings.Repeat("x", 400000)
	for i := 0; i < 12; i++ {
		e2e.MustExec(t, e.SDB, "INSERT INTO shop.big VALUES (?, ?)", i, pad)
	}
	log := e2e.WaitFailed(t, p, 60*time.Second)
	e2e.MustContain(t, "log", log, "is full", "gave up after 3 failed attempts in a row")
	var big int
	if err := e.DDB.QueryRow("SELECT COUNT(*) FROM shop.big").Scan(&big); err != nil {
		t.Fatal(err)
	}
	if big == 0 || big == 12 {
		t.Fatalf("replica holds %d of 12 large rows, want some but not all", big)
	}
	t.Logf("replica full after %d of 12 rows of 400 KB", big)
	e.CheckApplied(1, 1+big) // one transaction per row, the checkpoint at the last one held
}
