package kafka

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// When SLUICE_TEST_BROKER is set, the test binary only runs a broker.
func TestMain(m *testing.M) {
	if addr := os.Getenv("SLUICE_TEST_BROKER"); addr != "" {
		b, err := StartEmbedded(EmbeddedConfig{Listen: addr, DataDir: os.Getenv("SLUICE_TEST_BROKER_DIR"), SyncWrites: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer b.Close()
		select {}
	}
	os.Exit(m.Run())
}

func startBrokerProcess(t *testing.T, addr, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SLUICE_TEST_BROKER="+addr, "SLUICE_TEST_BROKER_DIR="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("broker did not start")
	return nil
}

// TestEmbeddedBrokerKeepsAckedWrites SIGKILLs the embedded broker after
// acknowledged produces and checks every acknowledged record is still
// there after a restart.
func TestEmbeddedBrokerKeepsAckedWrites(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	acked := int64(0)
	for round := 0; round < 3; round++ {
		cmd := startBrokerProcess(t, addr, dir)
		c := NewClient([]string{addr}, 0, 1<<20)
		if _, err := c.EnsureTopic(ctx, TopicSpec{Name: "t", Partitions: 2}); err != nil {
			t.Fatal(err)
		}
		_, end, err := c.Offsets(ctx, "t", 1)
		for i := 0; err != nil && i < 5; i++ {
			t.Log(err)
			time.Sleep(200 * time.Millisecond)
			_, end, err = c.Offsets(ctx, "t", 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		if end != acked {
			t.Fatalf("round %d: partition holds %d records after restart, %d were acknowledged", round, end, acked)
		}
		for i := 0; i < 50; i++ {
			recs := []Record{{Key: []byte("k"), Value: []byte(fmt.Sprint(i))}, {Key: []byte("k"), Value: []byte("x")}}
			if _, err := c.Produce(ctx, "t", 1, recs); err != nil {
				t.Fatal(err)
			}
			acked += 2
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
}

// TestEmbeddedBrokerKilledMidProduce kills the broker while produces are in
// flight, restarts it, and reads every partition from the start to its end:
// every acknowledged record must be readable, and new records must follow.
func TestEmbeddedBrokerKilledMidProduce(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var acked [3]atomic.Int64 // records acknowledged per partition, all rounds
	for round := 0; round < 4; round++ {
		cmd := startBrokerProcess(t, addr, dir)
		c := NewClient([]string{addr}, 0, 1<<20)
		var err error
		for i := 0; i < 20; i++ {
			if _, err = c.EnsureTopic(ctx, TopicSpec{Name: "t", Partitions: 3}); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		for p := 0; p < 3; p++ {
			var end int64
			for i := 0; i < 20; i++ {
				if _, end, err = c.Offsets(ctx, "t", p); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if end < acked[p].Load() {
				t.Fatalf("round %d partition %d: %d records after restart, %d were acknowledged", round, p, end, acked[p].Load())
			}
			r, err := c.NewPartitionReader(ctx, "t", p, 0)
			if err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 15*time.Second)
			for r.Next() < end {
				if _, err := r.Fetch(rctx); err != nil {
					t.Fatalf("round %d partition %d: read at %d of %d: %v", round, p, r.Next(), end, err)
				}
			}
			rcancel()
			r.Close()
			// Unacknowledged records may have been stored too: count from here.
			acked[p].Store(end)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		for p := 0; p < 3; p++ {
			go func() {
				defer func() { done <- struct{}{} }()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					recs := make([]Record, 40)
					for j := range recs {
						recs[j] = Record{Key: []byte("k"), Value: make([]byte, 200)}
					}
					if _, err := c.Produce(ctx, "t", p, recs); err != nil {
						return
					}
					acked[p].Add(int64(len(recs)))
				}
			}()
		}
		time.Sleep(time.Duration(150+round*70) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		for p := 0; p < 3; p++ {
			<-done
		}
	}
}
