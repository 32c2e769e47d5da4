package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Connector states reported by /status and sluice status.
const (
	StateStarting   = "starting"   // built and running, not connected and streaming yet
	StateRunning    = "running"    // connected and streaming (Ready returns nil)
	StateRestarting = "restarting" // failed with a retryable error; waiting for the backoff
	StateFailed     = "failed"     // failed with a connector.Fatal error; the process stops
	StateStopped    = "stopped"    // stopped by the process's shutdown
	StateStandby    = "standby"    // waiting while another process leads the connector (connector.Standby)
)

// supervisor runs connectors, restarting them after retryable errors, and
// keeps where each stands. Its methods are safe for concurrent use: run
// runs once per connector on its own goroutine, readiness and statuses are
// called from HTTP handlers and the announcer.
type supervisor struct {
	reg connector.Registry // builds the connectors
	env connector.Env
	log *slog.Logger

	mu    sync.Mutex
	conns map[string]*connState
	order []string // connector names in the order they were added

	kafkaErr  error         // why the last Kafka ping failed; nil when it answered (kafka_watch.go)
	kafkaBack chan struct{} // closed when Kafka answers again after failing
}

// connState is one supervised connector; guarded by supervisor.mu.
type connState struct {
	cfg      *config.Connector
	conn     connector.Connector // the current instance; nil before the first build
	state    string
	restarts int
	lastErr  string
	since    time.Time
}

func newSupervisor(reg connector.Registry, env connector.Env, log *slog.Logger, selected []*config.Connector) *supervisor {
	s := &supervisor{reg: reg, env: env, log: log, conns: map[string]*connState{}, kafkaBack: make(chan struct{})}
	for _, c := range selected {
		s.conns[c.Name] = &connState{cfg: c, state: StateStarting, since: time.Now()}
		s.order = append(s.order, c.Name)
		l := []string{env.Config.Name, c.Name}
		env.Metrics.ConnectorRestarts.WithLabelValues(l...)
		env.Metrics.ConnectorUp.WithLabelValues(l...)
		env.Metrics.Errors.WithLabelValues(env.Config.Name, c.Name, "run")
	}
	return s
}

// readiness reports, per connector, nil when it is connected and streaming
// or why not.
func (s *supervisor) readiness() map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]error, len(s.conns))
	for n, cs := range s.conns {
		switch {
		case cs.state == StateRestarting || cs.state == StateFailed || cs.state == StateStopped:
			out[n] = fmt.Errorf("%s: %s", cs.state, cs.lastErr)
		case cs.conn == nil:
			out[n] = errors.New(StateStarting)
		case s.kafkaErr != nil:
			out[n] = s.kafkaErr
		default:
			out[n] = cs.conn.Ready()
		}
	}
	return out
}

// set moves a connector to state, recording err when it is not nil.
func (s *supervisor) set(name, state string, conn connector.Connector, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.conns[name]
	if conn != nil {
		cs.conn = conn
	}
	if err != nil {
		cs.lastErr = err.Error()
	}
	if state == StateStarting && cs.state == StateRestarting {
		cs.restarts++
	}
	if cs.state != state {
		cs.state, cs.since = state, time.Now()
	}
}

// statuses returns the status of every connector, in the order they were
// added. The connectors' own Status calls run without the lock held.
func (s *supervisor) statuses(ctx context.Context) []connector.Status {
	s.mu.Lock()
	names := append([]string(nil), s.order...)
	s.mu.Unlock()
	out := make([]connector.Status, 0, len(names))
	for _, n := range names {
		s.mu.Lock()
		conn := s.conns[n].conn
		s.mu.Unlock()
		var st connector.Status
		if su, ok := conn.(connector.Statuser); ok {
			st = su.Status(ctx)
		}
		var notReady error
		if conn != nil {
			notReady = s.observe(n, conn)
		}
		s.mu.Lock()
		cs := s.conns[n]
		st.Name, st.Type, st.State = cs.cfg.Name, cs.cfg.Type, cs.state
		st.Restarts, st.LastError, st.Since = cs.restarts, cs.lastErr, cs.since
		s.mu.Unlock()
		if notReady != nil && st.State == StateStarting {
			if st.Details == nil {
				st.Details = map[string]any{}
			}
			st.Details["not_ready"] = notReady.Error()
		}
		out = append(out, st)
	}
	return out
}

// observe moves the connector between starting and running as its Ready
// says, when conn is still its current instance, and returns what Ready
// returned.
func (s *supervisor) observe(name string, conn connector.Connector) error {
	notReady := conn.Ready()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.conns[name]
	if cs.conn != conn {
		return notReady
	}
	var standby *connector.Standby
	switch {
	case (cs.state == StateStarting || cs.state == StateRunning) && errors.As(notReady, &standby):
		cs.state, cs.since = StateStandby, time.Now()
	case (cs.state == StateStarting || cs.state == StateStandby) && notReady == nil:
		cs.state, cs.since = StateRunning, time.Now()
	case (cs.state == StateRunning || cs.state == StateStandby) && notReady != nil && !errors.As(notReady, &standby):
		cs.state, cs.since = StateStarting, time.Now()
	}
	return notReady
}

// watch observes conn until ctx is done, so that a state's since is
// accurate to watchEvery even when nobody asks for the status.
func (s *supervisor) watch(ctx context.Context, name string, conn connector.Connector) {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.observe(name, conn)
		}
	}
}

const watchEvery = 250 * time.Millisecond

// run runs one connector until ctx is done (then it returns nil) or it
// fails with a connector.Fatal error (returned). Retryable errors rebuild
// the connector and restart it from its checkpoint after a backoff of 1 s
// doubling to 30 s, back to 1 s after a minute of running. A sink's retry
// mapping bounds this: its max_backoff caps the backoff, and after
// max_attempts failures in a row (none running a minute, none while Kafka
// does not answer, none after a run that moved the connector's checkpoint
// on: progressMark) the last error becomes a connector.Fatal that says so.
func (s *supervisor) run(ctx context.Context, cfg *config.Connector) error {
	t, ok := s.reg[cfg.Type]
	if !ok {
		err := fmt.Errorf("connector %s: unknown type %q", cfg.Name, cfg.Type)
		s.set(cfg.Name, StateFailed, nil, err)
		return err
	}
	log := s.log.With("connector", cfg.Name)
	labels := []string{s.env.Config.Name, cfg.Name}
	up := s.env.Metrics.ConnectorUp.WithLabelValues(labels...)
	backoff, maxBackoff, maxAttempts := time.Second, 30*time.Second, 0
	if rs, ok := cfg.Spec.(connector.RetrySettings); ok && rs.RetrySettings().MaxAttempts > 0 {
		r := rs.RetrySettings()
		maxBackoff, maxAttempts = r.MaxBackoff, r.MaxAttempts
		backoff = min(backoff, maxBackoff)
	}
	attempts, firstFail, lastMark := 0, time.Time{}, ""
	for {
		c, err := t.New(cfg, s.env)
		if err != nil {
			err = fmt.Errorf("connector %s: %w", cfg.Name, err)
			s.set(cfg.Name, StateFailed, nil, err)
			return err
		}
		s.set(cfg.Name, StateStarting, c, nil)
		up.Set(1)
		started := time.Now()
		wctx, stopWatch := context.WithCancel(ctx)
		go s.watch(wctx, cfg.Name, c)
		err = c.Run(ctx)
		stopWatch()
		up.Set(0)
		if ctx.Err() != nil {
			s.set(cfg.Name, StateStopped, nil, nil)
			return nil
		}
		if err == nil {
			err = errors.New("stopped without an error")
		}
		// Failures count in a row only while nothing moves: a run of a minute
		// or a checkpoint beyond the last failure's starts the count anew.
		mark := progressMark(ctx, c)
		if time.Since(started) > time.Minute || (mark != "" && lastMark != "" && mark != lastMark) {
			backoff, attempts = min(time.Second, maxBackoff), 0
		}
		if mark != "" {
			lastMark = mark
		}
		if attempts == 0 {
			firstFail = started
		}
		if maxAttempts == 0 || s.kafkaAnswers(ctx) {
			attempts++ // a Kafka outage is waited out, however long: only the replica's failures count
		}
		if maxAttempts > 0 && attempts >= maxAttempts && !connector.IsFatal(err) {
			err = &connector.Fatal{Err: fmt.Errorf("%w; gave up after %d failed attempts in a row over %s (retry.max_attempts: %d): "+
				"fix the cause, then start sluice again; the sink resumes from its last replica commit",
				err, attempts, time.Since(firstFail).Round(time.Second), maxAttempts)}
		}
		if connector.IsFatal(err) {
			s.set(cfg.Name, StateFailed, nil, err)
			return fmt.Errorf("connector %s: %w", cfg.Name, err)
		}
		s.set(cfg.Name, StateRestarting, nil, err)
		s.env.Metrics.Errors.WithLabelValues(s.env.Config.Name, cfg.Name, "run").Inc()
		log.Error("connector failed; restarting from its checkpoint", "err", err, "in", backoff, "attempt", attempts)
		select {
		case <-ctx.Done():
			s.set(cfg.Name, StateStopped, nil, nil)
			return nil
		case <-time.After(backoff):
		case <-s.kafkaReturned(): // the broker it likely waited for is back
		}
		backoff = min(2*backoff, maxBackoff)
		s.env.Metrics.ConnectorRestarts.WithLabelValues(labels...).Inc()
	}
}

// progressMark says how far a connector got by its status: a source's
// recorded position, a sink's committed offsets. Two failures with different
// marks had progress between them. "" when the connector reports none.
func progressMark(ctx context.Context, c connector.Connector) string {
	st, ok := c.(connector.Statuser)
	if !ok {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s := st.Status(ctx)
	var b strings.Builder
	if p := s.Position; p != nil && p.File != "" {
		fmt.Fprintf(&b, "%s:%d %s;", p.File, p.Pos, p.GTID)
	}
	for _, p := range s.Partitions {
		fmt.Fprintf(&b, "%s/%d@%d;", p.Topic, p.Partition, p.Committed)
	}
	return b.String()
}

// kafkaAnswers reports whether Kafka answers a metadata request within 5 s.
func (s *supervisor) kafkaAnswers(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.env.Kafka.Ping(pctx) == nil
}

// stopAll marks every connector that is not failed as stopped; run calls
// it once the connectors returned, before the last announcement.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range s.conns {
		if cs.state != StateFailed && cs.state != StateStopped {
			cs.state, cs.since = StateStopped, time.Now()
		}
	}
}
