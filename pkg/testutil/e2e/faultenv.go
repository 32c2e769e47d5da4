package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// faultSchema is the one table of a FaultEnv, small to keep its tests fast.
const faultSchema = "CREATE DATABASE shop;\nCREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL)"

// txTopic is the transaction topic of a FaultEnv's source.
const txTopic = "_sluice.test.src.transaction"

// FaultEnv is the environment of the sink fault tests: a source server
// holding shop.t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL), a replica
// server, a config, and a separate `sluice broker` process, so that Kafka
// outlives a sluice run that stops on a fault. Tests start sluice with Run.
type FaultEnv struct {
	t        testing.TB
	Src, Dst *mariadbtest.Server
	SDB, DDB *sql.DB
	Dir      string        // the config's directory
	Config   string        // the config's path
	Admin    string        // the admin address of `sluice run`
	Broker   string        // the broker's address
	Kafka    *kafka.Client // a client of the broker
}

// NewFaultEnv starts a FaultEnv with a default replica.
func NewFaultEnv(t testing.TB) *FaultEnv { return NewFaultEnvWith(t, mariadbtest.Options{}) }

// NewFaultEnvWith starts a FaultEnv whose replica runs with dst's options,
// and returns once the broker answers.
func NewFaultEnvWith(t testing.TB, dst mariadbtest.Options) *FaultEnv {
	t.Helper()
	e := &FaultEnv{t: t, Dir: t.TempDir()}
	e.Src = mariadbtest.Start(t, mariadbtest.Options{})
	e.Dst = mariadbtest.Start(t, dst)
	e.SDB, e.DDB = e.Src.DB(t), e.Dst.DB(t)
	ExecAll(t, e.SDB, faultSchema)
	e.Admin = FreeAddr(t)
	e.Broker = FreeAddr(t)
	e.WriteConfig("root", "")
	b := StartBroker(t, e.Config)
	e.Kafka = kafka.NewClient([]string{e.Broker}, 0, 1<<20)
	deadline := time.Now().Add(20 * time.Second)
	for e.Kafka.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("broker did not answer:\n%s", Tail(b.Log(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return e
}

// WriteConfig writes the config with the sink connecting as user and
// sinkExtra (indented YAML lines) added to the sink.
func (e *FaultEnv) WriteConfig(user, sinkExtra string) {
	e.t.Helper()
	cfg := pipeline{dir: e.Dir, broker: e.Broker, admin: e.Admin, split: true, src: e.Src.Addr(),
		sinkDSN: user + "@tcp(" + e.Dst.Addr() + ")/", sinkExtra: sinkExtra}.yaml()
	e.Config = WriteFile(e.t, e.Dir, "sluice.yaml", cfg)
}

// Run starts `sluice run` of the config with args added (sluice.log).
func (e *FaultEnv) Run(args ...string) *Proc {
	e.t.Helper()
	return StartProc(e.t, "sluice.log", append([]string{"run", "--config", e.Config}, args...)...)
}

// WaitRows waits until the replica's shop.t holds n rows, and fails the
// test if p exits first.
func (e *FaultEnv) WaitRows(p *Proc, n int, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got int
		_ = e.DDB.QueryRow("SELECT COUNT(*) FROM shop.t").Scan(&got)
		if got == n {
			return
		}
		if done, err := p.Exited(); done {
			e.t.Fatalf("sluice exited (%v) with %d of %d rows on the replica:\n%s", err, got, n, Tail(p.Log(), 30))
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("replica has %d rows of shop.t, want %d:\n%s", got, n, Tail(p.Log(), 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Checkpoint returns the replica's sluice_offsets rows as
// "topic/partition" to next offset.
func (e *FaultEnv) Checkpoint() map[string]int64 {
	e.t.Helper()
	rows, err := e.DDB.Query("SELECT topic, kpartition, next_offset FROM sluice.sluice_offsets")
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

// LastMarker returns the last marker on the transaction topic, decoded.
func (e *FaultEnv) LastMarker() map[string]any {
	e.t.Helper()
	ctx := CtxTimeout(e.t, 10*time.Second)
	_, end, err := e.Kafka.Offsets(ctx, txTopic, 0)
	if err != nil || end == 0 {
		e.t.Fatalf("transaction topic: end %d, %v", end, err)
	}
	r, err := e.Kafka.NewPartitionReader(ctx, txTopic, 0, end-1)
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

// Produce writes one record to topic/partition and returns its offset.
func (e *FaultEnv) Produce(topic string, partition int, key, value string) int64 {
	e.t.Helper()
	off, err := e.Kafka.Produce(CtxTimeout(e.t, 10*time.Second), topic, partition, []kafka.Record{{Key: []byte(key), Value: []byte(value)}})
	if err != nil {
		e.t.Fatal(err)
	}
	return off
}

// CheckApplied checks that the replica holds n rows and that its
// checkpoint says so: the recorded seq is that of the txs-th transaction
// on the transaction topic, the last one the rows reflect, so the
// checkpoint is neither behind nor ahead of the rows. Every insert of
// the caller must be one transaction.
func (e *FaultEnv) CheckApplied(n, txs int) {
	e.t.Helper()
	var got int
	var seq string
	if err := e.DDB.QueryRow("SELECT COUNT(*) FROM shop.t").Scan(&got); err != nil {
		e.t.Fatal(err)
	}
	if err := e.DDB.QueryRow("SELECT seq FROM sluice.sluice_offsets WHERE topic = ?", txTopic).Scan(&seq); err != nil {
		e.t.Fatal(err)
	}
	if got != n {
		e.t.Errorf("replica holds %d rows, want %d", got, n)
	}
	// The number of markers up to and including the recorded seq equals
	// the rows' transactions.
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
func (e *FaultEnv) markerSeqs() []string {
	e.t.Helper()
	ctx := CtxTimeout(e.t, 10*time.Second)
	_, end, err := e.Kafka.Offsets(ctx, txTopic, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.Kafka.NewPartitionReader(ctx, txTopic, 0, 0)
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

// DeleteRecords deletes the records of partition 0 of topic before offset
// before, as retention would.
func DeleteRecords(t testing.TB, cl *kgo.Client, topic string, before int64) {
	t.Helper()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = 0, before
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 5000
	resp, err := req.RequestWith(CtxTimeout(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Topics[0].Partitions[0].ErrorCode; c != 0 {
		t.Fatalf("delete records of %s: %v", topic, kerr.ErrorForCode(c))
	}
}

// DeleteTopic deletes topic.
func DeleteTopic(t testing.TB, cl *kgo.Client, topic string) {
	t.Helper()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{topic}
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 5000
	resp, err := req.RequestWith(CtxTimeout(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Topics[0].ErrorCode; c != 0 {
		t.Fatalf("delete topic %s: %v", topic, kerr.ErrorForCode(c))
	}
	time.Sleep(200 * time.Millisecond)
}
