package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// announceEvery is how often a `sluice run` process announces itself on
// the pipeline's status topic.
const announceEvery = 5 * time.Second

// Announcement is one record of the status topic (event.StatusTopic), keyed
// by connector name: the process that runs the connector and the
// connector's last status (ProcessStatus.Connectors holds only that one).
// Compaction keeps the latest record per connector, so the topic stays
// small and names the process that ran each connector last; a connector
// whose process died keeps its last record, which sluice status shows as
// stale.
type Announcement struct {
	admin.ProcessStatus
	Runs []string `json:"runs"` // every connector the process runs
}

// process is this sluice process as /status and its announcements show it.
// Its methods are safe for concurrent use.
type process struct {
	cfg     *config.Config
	sup     *supervisor
	pid     int
	host    string
	admin   string
	started time.Time
}

func newProcess(cfg *config.Config, boundAdmin string, sup *supervisor) *process {
	host, _ := os.Hostname()
	return &process{cfg: cfg, sup: sup, pid: os.Getpid(), host: host,
		admin: advertisedAddr(boundAdmin, host), started: clock.Now().UTC()}
}

// advertisedAddr returns the address others reach a listener bound to
// bound at: with host's name when it listens on all interfaces.
func advertisedAddr(bound, host string) string {
	h, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(h); (h == "" || (ip != nil && ip.IsUnspecified())) && host != "" {
		return net.JoinHostPort(host, port)
	}
	return bound
}

// status returns the /status document; it implements admin.StatusFunc.
func (p *process) status(ctx context.Context) admin.ProcessStatus {
	return admin.ProcessStatus{
		PID: p.pid, Host: p.host, Version: Version, Pipeline: p.cfg.Name, Admin: p.admin,
		Started: p.started, Connectors: p.sup.statuses(ctx), Time: clock.Now().UTC(),
	}
}

// announce publishes the process's status every announceEvery until the
// returned stop is called; stop marks the connectors stopped (unless
// failed), publishes a last announcement and returns. Announcing never
// stops the pipeline: failures are logged once until it works again.
func (p *process) announce(ctx context.Context, client *kafka.Client, log *slog.Logger) (stop func()) {
	topic := event.StatusTopic(p.cfg.Name)
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	a := &announcer{p: p, client: client, topic: topic}
	go func() {
		defer close(done)
		t := time.NewTicker(announceEvery)
		defer t.Stop()
		warned := false
		for {
			if step, ok := clock.NewStep(); ok {
				log.Warn("the host's wall clock stepped since sluice started: change order and dedupe do not use it; "+
					"lag is still measured against the clock as it was at start (restart sluice to measure against the new one)",
					"step", step.Round(time.Millisecond))
			}
			err := a.publish(actx)
			switch {
			case err != nil && actx.Err() == nil && !warned:
				log.Warn("cannot announce this process on the status topic; sluice status finds it only at its admin address",
					"topic", topic, "err", err)
				warned = true
			case err == nil:
				warned = false
			}
			select {
			case <-actx.Done():
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			p.sup.stopAll()
			fctx, fcancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer fcancel()
			if err := a.publish(fctx); err != nil {
				log.Debug("last announcement failed", "topic", topic, "err", err)
			}
		})
	}
}

// announcer writes announcements; publish is called from one goroutine at
// a time.
type announcer struct {
	p       *process
	client  *kafka.Client
	topic   string
	ensured bool
}

func (a *announcer) publish(ctx context.Context) error {
	if !a.ensured {
		if _, err := a.client.EnsureTopic(ctx, kafka.TopicSpec{Name: a.topic, Partitions: 1, Compact: true}); err != nil {
			return err
		}
		a.ensured = true
	}
	st := a.p.status(ctx)
	runs := make([]string, len(st.Connectors))
	for i, c := range st.Connectors {
		runs[i] = c.Name
	}
	recs := make([]kafka.Record, 0, len(st.Connectors))
	for _, c := range st.Connectors {
		one := Announcement{ProcessStatus: st, Runs: runs}
		one.Connectors = []connector.Status{c}
		b, err := json.Marshal(one)
		if err != nil {
			return err
		}
		recs = append(recs, kafka.Record{Key: []byte(c.Name), Value: b, Time: st.Time})
	}
	if len(recs) == 0 {
		return nil
	}
	_, err := a.client.Produce(ctx, a.topic, 0, recs)
	return err
}
