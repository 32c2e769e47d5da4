package source

import (
	"context"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// signalPoll is how often a streaming source looks for new requests on its
// signal topic.
const signalPoll = 500 * time.Millisecond

// signalsEnabled reports whether the source reads its signal topic.
func (s *Source) signalsEnabled() bool { return s.snap.signals }

// signalEnd creates the signal topic when missing and returns the offset
// after its last request, or prev when that is later.
func (s *Source) signalEnd(ctx context.Context, prev int64) int64 {
	if _, err := s.env.Kafka.EnsureTopic(ctx, kafka.TopicSpec{Name: s.topics.Signal(), Partitions: 1}); err != nil {
		return prev
	}
	_, end, err := s.env.Kafka.Offsets(ctx, s.topics.Signal(), 0)
	if err != nil {
		return prev
	}
	return max(prev, end)
}

// pollSignals reads the requests published since the last poll and queues
// their tables; the offset after them is saved with the queued tables, so
// a request is acted on exactly once.
func (s *Source) pollSignals(ctx context.Context) error {
	if !s.snap.signals || time.Since(s.snap.lastPoll) < signalPoll {
		return nil
	}
	s.snap.lastPoll = time.Now()
	topic := s.topics.Signal()
	_, end, err := s.env.Kafka.Offsets(ctx, topic, 0)
	if err != nil || end <= s.state.SignalOffset {
		return err
	}
	r, err := s.env.Kafka.NewPartitionReader(ctx, topic, 0, s.state.SignalOffset)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return err
		}
		sig, err := event.DecodeSignal(rec.Value)
		if err != nil {
			s.log.Error("ignoring a malformed request on the signal topic", "topic", topic, "offset", rec.Offset, "err", err)
			continue
		}
		s.request(sig)
	}
	s.state.SignalOffset = end
	return s.saveState(ctx)
}

// request queues the tables of a snapshot request.
func (s *Source) request(sig *event.Signal) {
	for _, t := range sig.Tables {
		switch {
		case s.snap.inc == nil:
			s.log.Error("snapshot request ignored: incremental snapshots need MariaDB (binlog_snapshot_position)", "table", t, "request", sig.ID)
		case s.held(t):
			s.resync(t, "snapshot request "+sig.ID+" by "+sig.By) // quarantine.go
		case s.tables[t] == nil:
			s.log.Warn("snapshot request ignored: not a selected table of this source", "table", t, "request", sig.ID, "tables", strings.Join(s.cfg.Tables, ","))
		case !s.snap.inc.add(t, "request"):
			s.log.Info("snapshot request: table already being snapshotted", "table", t, "request", sig.ID)
		default:
			s.log.Info("snapshot requested", "table", t, "request", sig.ID, "by", sig.By)
		}
	}
}

// afterDDL keeps the covered set in step with tables a DDL made appear or
// vanish: a table made by CREATE TABLE has all its rows in the binlog from
// there on; one that appears otherwise (RENAME from outside tables:) gets an
// incremental snapshot; a dropped table is no longer covered.
func (s *Source) afterDDL(stmt string) {
	if s.snap.covered == nil {
		return
	}
	for t := range s.snap.covered {
		if s.tables[t] == nil {
			delete(s.snap.covered, t)
		}
	}
	created := strings.HasPrefix(strings.ToUpper(strings.TrimSpace(stmt)), "CREATE")
	for t := range s.tables {
		if s.snap.covered[t] || s.queued(t) || s.held(t) {
			continue
		}
		// The sinks replay RENAME, so only a table renamed in from outside
		// tables: lacks its rows there (schemaState.takeCopy); shadow tables
		// of online schema changes are not replicated at all.
		if created || s.snap.inc == nil || !s.schema.TakeCopy(t) {
			s.snap.covered[t] = true
			continue
		}
		if s.snap.inc.add(t, "appeared") {
			s.log.Info("table appeared by a DDL other than CREATE TABLE: snapshotting it while streaming", "table", t, "statement", stmt)
		}
	}
}

// queued reports whether a snapshot of table is queued or running.
func (s *Source) queued(table string) bool {
	for _, t := range s.state.Tables {
		if t.Table == table {
			return true
		}
	}
	return false
}
