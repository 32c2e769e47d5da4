package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// The environment of the sink fault tests (fault_sink_test.go): each runs
// a separate `sluice broker` so that Kafka outlives a sluice run that stops
// on a fault, and a one-table schema to keep them fast.

const faultSchema = "CREATE DATABASE shop;\nCREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL)"

// faultEnv is a source and a replica server, a config and a running broker.
type faultEnv struct {
	t        *testing.T
	src, dst *mariadbtest.Server
	sdb, ddb *sql.DB
	dir      string
	cfg      string // config path
	admin    string
	broker   string
	kc       *kafka.Client
}

func newFaultEnv(t *testing.T) *faultEnv { return newFaultEnvWith(t, mariadbtest.Options{}) }

// newFaultEnvWith starts the replica with dst's options.
func newFaultEnvWith(t *testing.T, dst mariadbtest.Options) *faultEnv {
	e := &faultEnv{t: t, dir: t.TempDir()}
	e.src = mariadbtest.Start(t, mariadbtest.Options{})
	e.dst = mariadbtest.Start(t, dst)
	e.sdb, e.ddb = e.src.DB(t), e.dst.DB(t)
	execAll(t, e.sdb, faultSchema)
	e.admin = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e.broker = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e.writeConfig("root", "")
	b := startProc(t, "broker.log", "broker", "--config", e.cfg)
	e.kc = kafka.NewClient([]string{e.broker}, 0, 1<<20)
	deadline := time.Now().Add(20 * time.Second)
	for e.kc.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("broker did not answer:\n%s", tail(b.logText(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return e
}

// writeConfig writes the config with the sink connecting as user and
// sinkExtra (indented YAML lines) added to the sink.
func (e *faultEnv) writeConfig(user, sinkExtra string) {
	cfg := fmt.Sprintf(`name: test
kafka:
  brokers: [%q]
  embedded:
    listen: %s
    data_dir: %s
  partitions: 3
admin:
  listen: %s
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4242
    tables: ["shop.*"]
  - name: replica-1
    type: mysql-sink
    source: src
    dsn: "%s@tcp(%s)/"
%s`, e.broker, e.broker, filepath.Join(e.dir, "kafka"), e.admin, e.src.Addr(), user, e.dst.Addr(), sinkExtra)
	e.cfg = filepath.Join(e.dir, "sluice.yaml")
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *faultEnv) run(args ...string) *proc {
	return startProc(e.t, "sluice.log", append([]string{"run", "--config", e.cfg}, args...)...)
}

// waitRows waits until the replica's shop.t holds n rows.
func (e *faultEnv) waitRows(p *proc, n int, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got int
		_ = e.ddb.QueryRow("SELECT COUNT(*) FROM shop.t").Scan(&got)
		if got == n {
			return
		}
		if done, err := p.exited(); done {
			e.t.Fatalf("sluice exited (%v) with %d of %d rows on the replica:\n%s", err, got, n, tail(p.logText(), 30))
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("replica has %d rows of shop.t, want %d:\n%s", got, n, tail(p.logText(), 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFailed waits for p to exit with an error and returns its log.
func waitFailed(t *testing.T, p *proc, timeout time.Duration) string {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if err == nil {
			t.Fatalf("sluice exited cleanly, want a failure:\n%s", tail(p.logText(), 30))
		}
	case <-time.After(timeout):
		t.Fatalf("sluice still running after %s, want it to stop:\n%s", timeout, tail(p.logText(), 30))
	}
	return p.logText()
}

// checkpoint returns the replica's sluice_offsets rows as "topic/partition=next".
func (e *faultEnv) checkpoint() map[string]int64 {
	e.t.Helper()
	rows, err := e.ddb.Query("SELECT topic, kpartition, next_offset FROM sluice.sluice_offsets")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var topic string
		var p int
		var off int64
		if err := rows.Scan(&topic, &p, &off); err != nil {
			e.t.Fatal(err)
		}
		out[fmt.Sprintf("%s/%d", topic, p)] = off
	}
	return out
}

// lastMarker returns the last marker on the transaction topic, decoded.
func (e *faultEnv) lastMarker() map[string]any {
	e.t.Helper()
	ctx := ctxTimeout(e.t, 10*time.Second)
	topic := "_sluice.test.src.transaction"
	_, end, err := e.kc.Offsets(ctx, topic, 0)
	if err != nil || end == 0 {
		e.t.Fatalf("transaction topic: end %d, %v", end, err)
	}
	r, err := e.kc.NewPartitionReader(ctx, topic, 0, end-1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Fetch(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Value, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *faultEnv) produce(topic string, partition int, key, value string) int64 {
	e.t.Helper()
	off, err := e.kc.Produce(ctxTimeout(e.t, 10*time.Second), topic, partition, []kafka.Record{{Key: []byte(key), Value: []byte(value)}})
	if err != nil {
		e.t.Fatal(err)
	}
	return off
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, tail(text, 25))
		}
	}
}

// checkApplied checks that the replica holds n rows and that its
// checkpoint says so: the recorded seq is that of the txs-th transaction
// on the transaction topic, the last one the rows reflect, so the
// checkpoint is neither behind nor ahead of the rows.
func (e *faultEnv) checkApplied(n, txs int) {
	e.t.Helper()
	var got int
	var seq string
	if err := e.ddb.QueryRow("SELECT COUNT(*) FROM shop.t").Scan(&got); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ddb.QueryRow("SELECT seq FROM sluice.sluice_offsets WHERE topic = '_sluice.test.src.transaction'").Scan(&seq); err != nil {
		e.t.Fatal(err)
	}
	if got != n {
		e.t.Errorf("replica holds %d rows, want %d", got, n)
	}
	// Every insert of this test is one transaction: the number of markers
	// up to and including the recorded seq equals the rows' transactions.
	want := e.markerSeqs()
	idx := -1
	for i, s := range want {
		if s == seq {
			idx = i
		}
	}
	if idx+1 != txs {
		e.t.Errorf("replica's checkpoint seq %s is transaction %d of %v, but its rows are those of %d transactions", seq, idx+1, want, txs)
	}
}

// markerSeqs returns the seqs of the END markers on the transaction topic.
func (e *faultEnv) markerSeqs() []string {
	e.t.Helper()
	ctx := ctxTimeout(e.t, 10*time.Second)
	topic := "_sluice.test.src.transaction"
	_, end, err := e.kc.Offsets(ctx, topic, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.kc.NewPartitionReader(ctx, topic, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		var m struct {
			Status     string `json:"status"`
			Seq        string `json:"seq"`
			EventCount int    `json:"event_count"`
		}
		if json.Unmarshal(rec.Value, &m) == nil && m.Status == "END" && m.EventCount > 0 {
			out = append(out, m.Seq)
		}
	}
	return out
}

func deleteRecords(t *testing.T, cl *kgo.Client, topic string, before int64) {
	t.Helper()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = 0, before
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 5000
	resp, err := req.RequestWith(ctxTimeout(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Topics[0].Partitions[0].ErrorCode; c != 0 {
		t.Fatalf("delete records of %s: %v", topic, kerr.ErrorForCode(c))
	}
}

func deleteTopic(t *testing.T, cl *kgo.Client, topic string) {
	t.Helper()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{topic}
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 5000
	resp, err := req.RequestWith(ctxTimeout(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Topics[0].ErrorCode; c != 0 {
		t.Fatalf("delete topic %s: %v", topic, kerr.ErrorForCode(c))
	}
	time.Sleep(200 * time.Millisecond)
}
