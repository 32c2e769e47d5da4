package kafka

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// cutProxy forwards TCP connections to addr until cut, which closes them
// all and refuses new ones: a network partition of one client.
type cutProxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	cut   bool
}

func newCutProxy(t *testing.T, addr string) *cutProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l}
	t.Cleanup(func() { l.Close(); p.partition() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
}

// TestElection runs the election on the embedded broker: one of two
// candidates leads, the other is a standby that names it; a resigning
// leader hands over at once; a leader cut off from the broker stops leading
// (its lease) before the standby is elected, which happens within seconds.
func TestElection(t *testing.T) {
	b, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	direct := NewClient([]string{b.Addr()}, 0, 1<<20)
	const group = "_sluice.test.src.leader"

	a, err := direct.Campaign(ctx, group, Member{Host: "a", PID: 1}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	standby := make(chan Member, 4)
	type result struct {
		l   *Leadership
		err error
		at  time.Time
	}
	campaign := func(c *Client, m Member) chan result {
		ch := make(chan result, 1)
		go func() {
			l, err := c.Campaign(ctx, group, m, log, func(m Member) { standby <- m })
			ch <- result{l, err, time.Now()}
		}()
		return ch
	}
	bres := campaign(direct, Member{Host: "b", PID: 2})
	select {
	case m := <-standby:
		if m.Host != "a" {
			t.Fatalf("standby names leader %v, want a", m)
		}
	case r := <-bres:
		t.Fatalf("second candidate led while the first leads: %v", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("second candidate never reported the leader")
	}
	// It stays a standby while a leads (a rebalance keeps the leader).
	select {
	case r := <-bres:
		t.Fatalf("second candidate led while the first leads: %v", r.err)
	case <-time.After(3 * time.Second):
	}
	if a.Err() != nil {
		t.Fatalf("first leader lost its term to a joining standby: %v", a.Err())
	}

	start := time.Now()
	a.Resign()
	r := <-bres
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("takeover after a resignation: %v", r.at.Sub(start))
	if r.at.Sub(start) > 3*time.Second {
		t.Errorf("takeover after a resignation took %v", r.at.Sub(start))
	}
	lb := r.l

	// Hand over to d, which talks to the broker through a proxy, so that
	// it can be cut off: c takes over from b, then d from c.
	cres := campaign(direct, Member{Host: "c", PID: 3})
	<-standby
	lb.Resign()
	rc := <-cres
	if rc.err != nil {
		t.Fatal(rc.err)
	}
	proxy := newCutProxy(t, b.Addr())
	viaProxy := NewClient([]string{proxy.l.Addr().String()}, 0, 1<<20)
	dres := campaign(viaProxy, Member{Host: "d", PID: 4})
	<-standby
	rc.l.Resign()
	rd := <-dres
	if rd.err != nil {
		t.Fatal(rd.err)
	}
	// e waits as a standby; then d is partitioned from the broker.
	eres := campaign(direct, Member{Host: "e", PID: 5})
	if m := <-standby; m.Host != "d" {
		t.Fatalf("standby names %v, want d", m)
	}
	cutAt := time.Now()
	proxy.partition()
	var lostAt time.Time
	select {
	case <-rd.l.Context().Done():
		lostAt = time.Now()
		if !errors.Is(rd.l.Err(), ErrLeadershipLost) {
			t.Errorf("term ended with %v, want ErrLeadershipLost", rd.l.Err())
		}
	case re := <-eres:
		t.Fatalf("standby elected (%v) while the cut-off leader still leads", re.err)
	case <-time.After(15 * time.Second):
		t.Fatal("the cut-off leader kept leading")
	}
	re := <-eres
	if re.err != nil {
		t.Fatal(re.err)
	}
	defer re.l.Resign()
	t.Logf("partitioned leader stopped after %v; standby led after %v (%v later)", lostAt.Sub(cutAt), re.at.Sub(cutAt), re.at.Sub(lostAt))
	if !re.at.After(lostAt) {
		t.Errorf("standby led at %v, before the old leader stopped at %v", re.at, lostAt)
	}
	if d := re.at.Sub(cutAt); d > 10*time.Second {
		t.Errorf("takeover took %v", d)
	}
	rd.l.Resign()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestElectionEvictsDeadLocalLeader: the membership of a leader whose
// process ran here and is gone (SIGKILL, then a restart) is removed at
// once, so the restarted candidate does not wait out its session.
func TestElectionEvictsDeadLocalLeader(t *testing.T) {
	if machine() == "" {
		t.Skip("no /proc: eviction is off")
	}
	b, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	c := NewClient([]string{b.Addr()}, 0, 1<<20)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// A leader of that (now dead) process: it joined and never heartbeats.
	dead := &elector{c: &kafkago.Client{Addr: kafkago.TCP(b.Addr())}, group: "g", log: log,
		me: memberMeta{Member: Member{Host: "here", PID: gone.Process.Pid}, Since: time.Now(), Machine: machine()}}
	if a, err := dead.join(ctx); err != nil || a.Leader != dead.memberID {
		t.Fatalf("dead member's join: %+v, %v", a, err)
	}
	start := time.Now()
	l, err := c.Campaign(ctx, "g", Member{Host: "here", PID: os.Getpid()}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Resign()
	t.Logf("restarted candidate led after %v", time.Since(start))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("restarted candidate waited %v for the dead leader's session", d)
	}
}
