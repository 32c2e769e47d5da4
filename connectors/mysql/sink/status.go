package sink

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/report"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// sinkStatus is what Sink.Status reports. Run's goroutine writes the
// committed offsets after each replica commit; the refresher and Status
// compare them with the brokers' high watermarks. Safe for concurrent use.
type sinkStatus struct {
	rows report.RateMeter // rows committed on the replica

	refreshMu sync.Mutex // serializes refresh

	mu           sync.Mutex
	committed    map[kafka.TopicPartition]int64 // nil until Run read the checkpoint
	lastSourceTs time.Time                      // source commit time of the last streamed transaction applied
	caughtUp     time.Time                      // last time a refresh found no marker pending (clock.Steady)
	parts        []connector.PartitionStatus
	lag          *float64 // replication lag estimate, seconds
	refreshed    time.Time
	refreshErr   error
	dead         *connector.DeadLetterStatus  // nil without a dead-letter topic
	quarantined  []connector.QuarantinedTable // tables held back (quarantine.go)
}

// setDeadLetters records the dead-letter topic and the count recorded on
// the replica, at start.
func (st *sinkStatus) setDeadLetters(topic string, n int64) {
	st.mu.Lock()
	st.dead = &connector.DeadLetterStatus{Topic: topic, Count: n}
	st.mu.Unlock()
}

// addDeadLetters counts n more committed dead letters, last the latest.
func (st *sinkStatus) addDeadLetters(n int64, last *connector.DeadLetter) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dead == nil {
		st.dead = &connector.DeadLetterStatus{}
	}
	st.dead.Count += n
	st.dead.Last = last
}

// setCommitted records the offsets committed on the replica (copied) and
// the source commit time (ms) of the last streamed transaction among them,
// 0 when there was none.
func (st *sinkStatus) setCommitted(offsets map[kafka.TopicPartition]int64, lastTsMs int64) {
	c := make(map[kafka.TopicPartition]int64, len(offsets))
	for tp, o := range offsets {
		c[tp] = o
	}
	st.mu.Lock()
	st.committed = c
	if lastTsMs > 0 {
		st.lastSourceTs = time.UnixMilli(lastTsMs)
	}
	st.mu.Unlock()
}

// afterCommit records a batch committed on the replica. It runs on Run's
// goroutine once offsets (the committed positions) moved past the batch.
func (st *sinkStatus) afterCommit(offsets map[kafka.TopicPartition]int64, b *batch) {
	var lastTs int64
	for _, t := range b.txs {
		if !t.marker.Snapshot && t.marker.TsMs > 0 {
			lastTs = t.marker.TsMs
		}
	}
	st.setCommitted(offsets, lastTs)
	st.rows.Add(b.rows)
}

// startStatus pre-creates the sink's metric series and starts the
// refresher of consumer lag and replication lag. It runs on Run's
// goroutine after the checkpoint was read; stop ends the refresher.
func (s *Sink) startStatus(ctx context.Context) (stop func()) {
	m, l0, l1 := s.env.Metrics, s.labels[0], s.labels[1]
	m.SinkTransactions.WithLabelValues(l0, l1)
	m.SinkCommits.WithLabelValues(l0, l1)
	m.SinkBatchRows.WithLabelValues(l0, l1)
	m.SinkDuplicates.WithLabelValues(l0, l1)
	m.SinkBytes.WithLabelValues(l0, l1)
	m.ReplicationLagHist.WithLabelValues(l0, l1)
	s.stat.setCommitted(s.offsets.next, 0)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(report.Refresh)
		defer t.Stop()
		for {
			s.refresh(rctx)
			select {
			case <-rctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// refresh reads the high watermark of every partition of the topics the
// sink consumes, sets the consumer lag gauges, and estimates the
// replication lag: 0 when no marker is pending on the transaction topic,
// else the time since the later of the last applied source commit and the
// last time nothing was pending (an upper bound off by at most one refresh).
func (s *Sink) refresh(ctx context.Context) {
	st := &s.stat
	st.refreshMu.Lock()
	defer st.refreshMu.Unlock()
	st.mu.Lock()
	committed := st.committed
	st.mu.Unlock()
	if committed == nil {
		return
	}
	txTopic := s.topics.Transaction()
	topics := map[string]bool{txTopic: true}
	for tp := range committed {
		topics[tp.Topic] = true
	}
	var parts []connector.PartitionStatus
	var err error
	pending := false
	for topic := range topics {
		var n int
		if n, err = s.env.Kafka.Partitions(ctx, topic); err != nil {
			break
		}
		for p := 0; p < n; p++ {
			var end int64
			if _, end, err = s.env.Kafka.Offsets(ctx, topic, p); err != nil {
				break
			}
			c := committed[kafka.TopicPartition{Topic: topic, Partition: p}]
			ps := connector.PartitionStatus{Topic: topic, Partition: p, Committed: c, End: end, Lag: max(end-c, 0)}
			parts = append(parts, ps)
			s.env.Metrics.ConsumerLag.WithLabelValues(s.labels[0], s.labels[1], topic, strconv.Itoa(p)).Set(float64(ps.Lag))
			pending = pending || (topic == txTopic && ps.Lag > 0)
		}
		if err != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return
	}
	sort.Slice(parts, func(i, j int) bool {
		if (parts[i].Topic == txTopic) != (parts[j].Topic == txTopic) {
			return parts[i].Topic == txTopic
		}
		if parts[i].Topic != parts[j].Topic {
			return parts[i].Topic < parts[j].Topic
		}
		return parts[i].Partition < parts[j].Partition
	})
	now := clock.Steady() // compared with source commit times: a host clock step must not move the lag
	st.mu.Lock()
	defer st.mu.Unlock()
	st.refreshed, st.refreshErr = time.Now(), err
	if err != nil {
		return
	}
	st.parts = parts
	if !pending {
		st.caughtUp = now
	}
	base := st.caughtUp
	if st.lastSourceTs.After(base) {
		base = st.lastSourceTs
	}
	if base.IsZero() {
		return // nothing applied yet and never caught up: unknown
	}
	lag := max(now.Sub(base).Seconds(), 0)
	st.lag = &lag
	s.env.Metrics.ReplicationLag.WithLabelValues(s.labels[0], s.labels[1]).Set(lag)
}

// Status implements connector.Statuser. It reads the high watermarks afresh
// (bounded by statusQueryTimeout) when the last reading is older than a
// second.
func (s *Sink) Status(ctx context.Context) connector.Status {
	st := &s.stat
	st.mu.Lock()
	fresh := time.Since(st.refreshed) < time.Second
	st.mu.Unlock()
	if !fresh {
		qctx, cancel := context.WithTimeout(ctx, report.QueryTimeout)
		s.refresh(qctx)
		cancel()
	}
	out := connector.Status{RowsPerSecond: st.rows.Rate()}
	st.mu.Lock()
	defer st.mu.Unlock()
	out.Partitions = append([]connector.PartitionStatus(nil), st.parts...)
	if st.lag != nil {
		lag := *st.lag
		out.ReplicationLagSeconds = &lag
	}
	if st.dead != nil {
		d := *st.dead
		out.DeadLetters = &d
	}
	out.Quarantined = st.quarantined
	if st.refreshErr != nil {
		out.Details = map[string]any{"kafka_error": report.ShortErr(st.refreshErr)}
	}
	return out
}
