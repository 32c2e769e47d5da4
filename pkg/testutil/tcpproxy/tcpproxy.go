// Package tcpproxy is a small TCP proxy for fault tests: it forwards every
// connections at once, refuse new ones for a while, and slow the traffic
// from the upstream to the client so that a test can cut a connection in
// the middle of a large transfer.
package tcpproxy

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards connections from its listener to Upstream. Its methods are
// safe for concurrent use.
type Proxy struct {
	upstream string
	ln       net.Listener

	mu          sync.Mutex
	conns       map[net.Conn]struct{} // both ends of every live pair
	refuseUntil time.Time
	rate        int // bytes per second from upstream to client; 0 = unlimited
	closed      bool

	down atomic.Int64 // bytes copied from upstream to clients
	cuts atomic.Int64 // connections cut by Cut
	wg   sync.WaitGroup
}

// Start listens on 127.0.0.1 on a free port and forwards to upstream.
func Start(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{upstream: upstream, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr returns the proxy's "127.0.0.1:PORT", to use instead of the upstream.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// BytesDown returns the bytes copied from the upstream to clients so far.
func (p *Proxy) BytesDown() int64 { return p.down.Load() }

// Cuts returns how many connections Cut has closed.
func (p *Proxy) Cuts() int64 { return p.cuts.Load() }

// SetRate limits the traffic from the upstream to each client to about
// bytesPerSec (0: unlimited). It applies to live connections too.
func (p *Proxy) SetRate(bytesPerSec int) {
	p.mu.Lock()
	p.rate = bytesPerSec
	p.mu.Unlock()
}

// Cut closes every current connection, both ends, as a network failure
// connections cut.
func (p *Proxy) Cut(refuse time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuseUntil = time.Now().Add(refuse)
	n := 0
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, not an orderly close
		}
		c.Close()
		n++
	}
	p.conns = map[net.Conn]struct{}{}
	n /= 2
	p.cuts.Add(int64(n))
	return n
}

// Close stops listening, cuts every connection and waits for the proxy's
// goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Cut(0)
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.closed || time.Now().Before(p.refuseUntil)
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(client net.Conn) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		up.Close()
		return
	}
	p.conns[client], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, client); done <- struct{}{} }()
	go func() { p.copyDown(client, up); done <- struct{}{} }()
	<-done // either side ended: end both
	client.Close()
	up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, up)
	p.mu.Unlock()
}

// copyDown copies from the upstream to the client in small chunks, pacing
// them to the configured rate.
func (p *Proxy) copyDown(client, up net.Conn) {
	buf := make([]byte, 16<<10)
	for {
		p.mu.Lock()
		rate := p.rate
		p.mu.Unlock()
		chunk := buf
		if rate > 0 {
			chunk = buf[:min(len(buf), max(rate/20, 512))]
		}
		n, err := up.Read(chunk)
		if n > 0 {
			if _, werr := client.Write(chunk[:n]); werr != nil {
				return
			}
			p.down.Add(int64(n))
			if rate > 0 {
				time.Sleep(time.Duration(n) * time.Second / time.Duration(rate))
			}
		}
		if err != nil {
			return // EOF or a cut: pipe closes both ends
		}
	}
}
