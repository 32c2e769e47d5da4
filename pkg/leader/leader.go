package leader

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Election is one connector's side of a leader election.
type Election struct {
	Env      connector.Env
	Group    string // the Kafka consumer group the candidates join
	Log      *slog.Logger
	Gauge    prometheus.Gauge // 1 while this process leads
	What     string           // "source src", for errors
	Role     string           // what the leader does, for errors: "publishing"
	Standby  string           // logged when this process waits as a standby
	SetReady func(error)
	Run      func(ctx context.Context, l *kafka.Leadership) error // the leader's work; ctx ends with the term
}

// Lead campaigns in e.group, waits as a standby until elected, then runs
// e.run under a context that ends when ctx does (a clean stop: the term
// holds, so the last checkpoint can be written) or when the term ends (lost).
// It resigns once e.run returned, so a standby leads at once. It returns nil
// when ctx is done, an error wrapping kafka.ErrLeadershipLost when the term
// ended first, else what e.run returned.
func Lead(ctx context.Context, e Election) error {
	e.Gauge.Set(0)
	host, _ := os.Hostname()
	me := kafka.Member{Host: host, PID: os.Getpid()}
	l, err := e.Env.Kafka.Campaign(ctx, e.Group, me, e.Log, func(m kafka.Member) {
		e.Log.Info("standby: "+e.Standby+"; waiting to take over", "leader", m.String())
		e.SetReady(&connector.Standby{Leader: m.String()})
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%s: leader election: %w", e.What, err)
	}
	defer l.Resign() // after the last checkpoint write: a standby leads at once
	e.Gauge.Set(1)
	defer e.Gauge.Set(0)
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(l.Context(), func() { cancel(l.Err()) })()
	err = e.Run(rctx, l)
	if lerr := l.Err(); lerr != nil && ctx.Err() == nil {
		return fmt.Errorf("%s: stopped %s: %w", e.What, e.Role, lerr)
	}
	return err
}

// Holder names this process in a leader claim.
func Holder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}
