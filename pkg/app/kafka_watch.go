package app

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Kafka health as the process sees it. A connector blocked on a dead broker
// does not always fail by itself (a partition reader retries forever, an
// idle source produces nothing), so readiness asks the broker directly.
const (
	kafkaPingEvery   = time.Second
	kafkaPingTimeout = 2 * time.Second
)

// watchKafka asks the cluster for metadata every kafkaPingEvery until ctx is
// done. While a request fails (or takes longer than kafkaPingTimeout) every
// connector of the process reports not ready, so /readyz answers 503 within
// kafkaPingEvery+kafkaPingTimeout (3 s) of the broker going away. When the
// broker answers again, connectors waiting for their restart backoff are
// restarted at once instead of at the end of a backoff of up to 30 s.
func (s *supervisor) watchKafka(ctx context.Context, c *kafka.Client) {
	t := time.NewTicker(kafkaPingEvery)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, kafkaPingTimeout)
		err := c.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		s.setKafka(err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setKafka records the last ping's result; the move from failing to
// answering wakes the connectors waiting for a restart.
func (s *supervisor) setKafka(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.kafkaErr
	if err != nil {
		s.kafkaErr = fmt.Errorf("kafka unreachable: %w", err)
		if was == nil {
			s.log.Warn("kafka unreachable: connectors report not ready until it answers", "err", err)
		}
		return
	}
	s.kafkaErr = nil
	if was != nil {
		s.log.Info("kafka answers again")
		close(s.kafkaBack)
		s.kafkaBack = make(chan struct{})
	}
}

// kafkaReturned returns a channel closed the next time Kafka answers after
// failing.
func (s *supervisor) kafkaReturned() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kafkaBack
}
