package source

import (
	"context"
	"errors"

	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/leader"
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
	return leader.Lead(ctx, leader.Election{
		Env: s.env, Group: s.topics.Leader(), Log: s.log, Gauge: gauge,
		What: "source " + s.cfg.Name, Role: "publishing", Standby: "another process leads this source",
		SetReady: s.SetReady,
		Run: func(ctx context.Context, l *kafka.Leadership) error {
			s.lead = l
			return s.runLeader(ctx)
		},
	})
}

// claim starts this leader's epoch in the checkpoint topic and makes every
// later checkpoint write check that the term still holds, so a deposed
// leader can neither overwrite its successor's state (its epoch is lower,
// Load ignores it) nor write once it knows it lost.
func (s *Source) claim(ctx context.Context) error {
	if s.lead == nil {
		return nil
	}
	epoch, err := s.store.Claim(ctx, s.cfg.Name, leader.Holder())
	if err != nil {
		return err
	}
	s.store.Guard(s.lead.Err)
	s.log.Info("leading the source", "epoch", epoch)
	return nil
}
