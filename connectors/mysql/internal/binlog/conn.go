package binlog

import (
	"context"
	"net"
	"sync"
	"time"
)

// The binlog connection's read deadline. go-mysql moves the connection's
// read deadline forward (ReadTimeout) before every packet it reads, so
// that a dead connection fails instead of hanging; on a stream of small
// transactions those SetReadDeadline calls cost a tenth of the reader's
// CPU (a timer update in the runtime each). coarseDeadlineConn passes a
// later deadline on only when it is deadlineSlack past the one in force:
// the connection still fails after between ReadTimeout - deadlineSlack and
// ReadTimeout without a packet, and an earlier deadline (go-mysql's 100 ms
// one to unblock a read at Close) or none is passed on at once.
const deadlineSlack = time.Second

type coarseDeadlineConn struct {
	net.Conn
	mu      sync.Mutex
	applied time.Time // the read deadline in force
}

func (c *coarseDeadlineConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.IsZero() && !c.applied.IsZero() && !t.Before(c.applied) && t.Sub(c.applied) < deadlineSlack {
		return nil
	}
	c.applied = t
	return c.Conn.SetReadDeadline(t)
}

func (c *coarseDeadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applied = t
	return c.Conn.SetDeadline(t)
}

// Dialer dials the binlog connection wrapped in coarseDeadlineConn.
func Dialer(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &coarseDeadlineConn{Conn: c}, nil
}
