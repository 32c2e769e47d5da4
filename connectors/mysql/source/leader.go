package source

import (
	"context"

	"github.com/sluice-cdc/sluice/pkg/leader"
)

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
