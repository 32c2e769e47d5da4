package sink

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestSinkEpochFence runs the sink's epoch fencing against a real MariaDB
// replica: three processes' sinks claim the same sink one after another. A
// commit of a deposed applier (a lower epoch than the one recorded) is
// refused inside its replica transaction, so neither its rows nor its
// offsets land; a claim made while the current leader's commit holds the
// lock waits for that commit and then reads the offsets it wrote.
func TestSinkEpochFence(t *testing.T) {
	srv := mariadbtest.Start(t, mariadbtest.Options{})
	db := srv.DB(t)
	srv.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.t (id INT PRIMARY KEY, v INT NOT NULL)")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	newSink := func() *Sink {
		cfg := &Config{Connector: &config.Connector{Name: "replica-1"}, Source: "src", CheckpointDB: "sluice"}
		cfg.Spec = cfg
		c, err := New(cfg.Connector,
			connector.Env{Config: &config.Config{Name: "test"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		s := c.(*Sink)
		s.db = db
		if err := s.offsets.load(ctx, s.db); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// commit writes row id=v and the offsets after transaction v, as apply does.
	commit := func(s *Sink, v int) (*sql.Tx, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO shop.t VALUES (?, ?)", v, v); err != nil {
			t.Fatal(err)
		}
		b := &batch{txNext: int64(v), applied: event.Seq(seqOf(v)), offsets: map[kafka.TopicPartition]int64{{Topic: "test.src.shop.t", Partition: 0}: int64(v)}}
		if err := s.offsets.save(ctx, tx, b); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		return tx, nil
	}
	a := newSink()
	if a.lease.epoch != 1 {
		t.Fatalf("first claim: epoch %d, want 1", a.lease.epoch)
	}
	tx, err := commit(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	b := newSink() // a is deposed (paused or partitioned, still running)
	if b.lease.epoch != 2 || b.offsets.next[kafka.TopicPartition{Topic: "test.src.shop.t", Partition: 0}] != 1 {
		t.Fatalf("second claim: epoch %d, offsets %v; want epoch 2 and a's offsets", b.lease.epoch, b.offsets.next)
	}
	if _, err := commit(a, 2); !errors.Is(err, ErrFenced) || !errors.Is(err, kafka.ErrLeadershipLost) {
		t.Fatalf("the deposed applier's commit: %v, want it refused with ErrFenced", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM shop.t WHERE id = 2"); n != 0 {
		t.Fatalf("the refused commit's row landed")
	}

	// b's commit holds the leader row; c's claim waits for it, then reads it.
	tx, err = commit(b, 3)
	if err != nil {
		t.Fatal(err)
	}
	claimed := make(chan *Sink)
	go func() { claimed <- newSink() }()
	select {
	case <-claimed:
		t.Fatal("a claim went through while the leader's commit held the epoch")
	case <-time.After(500 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c := <-claimed
	if c.lease.epoch != 3 || c.offsets.next[kafka.TopicPartition{Topic: "test.src.shop.t", Partition: 0}] != 3 || c.offsets.applied != event.Seq(seqOf(3)) {
		t.Fatalf("claim after the commit: epoch %d, offsets %v, applied %s; want 3 and b's commit", c.lease.epoch, c.offsets.next, c.offsets.applied)
	}
	if _, err := commit(b, 4); !errors.Is(err, ErrFenced) {
		t.Fatalf("b's commit after c claimed: %v, want ErrFenced", err)
	}
	tx, err = commit(c, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM shop.t"); n != 3 {
		t.Errorf("replica holds %d rows, want 3 (transactions 1, 3, 4)", n)
	}
}

func seqOf(v int) string { return string(event.MakeSeq(1, uint64(v), 0)) }

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
