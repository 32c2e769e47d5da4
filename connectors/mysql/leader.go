package mysql

import (
	"context"
	"errors"
	"fmt"
	"os"

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
	gauge.Set(0)
	host, _ := os.Hostname()
	me := kafka.Member{Host: host, PID: os.Getpid()}
	lead, err := s.env.Kafka.Campaign(ctx, s.topics.Leader(), me, s.log, func(m kafka.Member) {
		s.log.Info("standby: another process leads this source; waiting to take over", "leader", m.String())
		s.SetReady(&connector.Standby{Leader: m.String()})
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("source %s: leader election: %w", s.cfg.Name, err)
	}
	s.lead = lead
	defer lead.Resign() // after the last checkpoint write: a standby leads at once
	gauge.Set(1)
	defer gauge.Set(0)
	// Stop on ctx (a clean stop: the term holds, the last checkpoint is
	// written) or when the term ends (lost: checkpoint writes are refused).
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(lead.Context(), func() { cancel(lead.Err()) })()
	err = s.runLeader(rctx)
	if lerr := lead.Err(); lerr != nil && ctx.Err() == nil {
		return fmt.Errorf("source %s: stopped publishing: %w", s.cfg.Name, lerr)
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
	host, _ := os.Hostname()
	epoch, err := s.store.Claim(ctx, s.cfg.Name, fmt.Sprintf("%s pid %d", host, os.Getpid()))
	if err != nil {
		return err
	}
	s.store.Guard(s.lead.Err)
	s.log.Info("leading the source", "epoch", epoch)
	return nil
}
