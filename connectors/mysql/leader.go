package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Run implements connector.Connector. Several processes may run the same
// source (by mistake, or for failover): they elect one through the consumer
// group event.Topics.Leader (kafka.Client.Campaign), and only the leader
// reads the binlog and publishes. The others wait as standbys (Ready returns
// a *connector.Standby naming the leader) and one of them leads within
// about kafka.ElectionSession plus a heartbeat after the leader dies, at
// once when it stops cleanly (it leaves the group).
//
// A leader that loses its term (its lease ran out: no heartbeat confirmed
// for kafka.ElectionLease, shorter than the session timeout after which the
// coordinator elects another) stops publishing at once: everything runs
// under the term's context, and its checkpoint store refuses to write.
// Run then returns an error wrapping kafka.ErrLeadershipLost, and the
// runtime restarts the source as a candidate. When ctx is done Run returns
// nil, also while it waits as a standby.
func (s *Source) Run(ctx context.Context) error {
	defer s.SetReady(errors.New("stopped"))
	gauge := s.env.Metrics.SourceLeader.WithLabelValues(s.labels[:]...)
	return lead(ctx, election{
		env: s.env, group: s.topics.Leader(), log: s.log, gauge: gauge,
		what: "source " + s.cfg.Name, role: "publishing", standby: "another process leads this source",
		setReady: s.SetReady,
		run: func(ctx context.Context, l *kafka.Leadership) error {
			s.lead = l
			return s.runLeader(ctx)
		},
	})
}

// election is one connector's side of a leader election.
type election struct {
	env      connector.Env
	group    string // the Kafka consumer group the candidates join
	log      *slog.Logger
	gauge    prometheus.Gauge // 1 while this process leads
	what     string           // "source src", for errors
	role     string           // what the leader does, for errors: "publishing"
	standby  string           // logged when this process waits as a standby
	setReady func(error)
	run      func(ctx context.Context, l *kafka.Leadership) error // the leader's work; ctx ends with the term
}

// lead campaigns in e.group, waits as a standby until elected, then runs
// e.run under a context that ends when ctx does (a clean stop: the term
// holds, so the last checkpoint can be written) or when the term ends (lost).
// It resigns once e.run returned, so a standby leads at once. It returns nil
// when ctx is done, an error wrapping kafka.ErrLeadershipLost when the term
// ended first, else what e.run returned.
func lead(ctx context.Context, e election) error {
	e.gauge.Set(0)
	host, _ := os.Hostname()
	me := kafka.Member{Host: host, PID: os.Getpid()}
	l, err := e.env.Kafka.Campaign(ctx, e.group, me, e.log, func(m kafka.Member) {
		e.log.Info("standby: "+e.standby+"; waiting to take over", "leader", m.String())
		e.setReady(&connector.Standby{Leader: m.String()})
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%s: leader election: %w", e.what, err)
	}
	defer l.Resign() // after the last checkpoint write: a standby leads at once
	e.gauge.Set(1)
	defer e.gauge.Set(0)
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(l.Context(), func() { cancel(l.Err()) })()
	err = e.run(rctx, l)
	if lerr := l.Err(); lerr != nil && ctx.Err() == nil {
		return fmt.Errorf("%s: stopped %s: %w", e.what, e.role, lerr)
	}
	return err
}

// claim starts this leader's epoch in the checkpoint topic and makes every
// later checkpoint write check that the term still holds, so a deposed
// leader can neither overwrite its successor's state (its epoch is lower,
// Load ignores it) nor write once it knows it lost.
func (s *Source) claim(ctx context.Context) error {
	if s.lead == nil {
		return nil
	}
	epoch, err := s.store.Claim(ctx, s.cfg.Name, holder())
	if err != nil {
		return err
	}
	s.store.Guard(s.lead.Err)
	s.log.Info("leading the source", "epoch", epoch)
	return nil
}

// holder names this process in a leader claim.
func holder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}
