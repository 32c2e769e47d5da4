package source

import (
	"context"
	"fmt"
	"slices"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// startPosition decides where streaming starts and which snapshots run:
//
//   - first start: an initial snapshot (snapshot: initial or when_needed),
//     or the server's current position (never);
//   - the recorded position's binlog file was purged: fail, naming the file
//     (initial, never), or snapshot every table again after telling the
//     sinks to empty them (when_needed);
//   - an initial snapshot was interrupted: on MariaDB, stream from its
//     position and copy the rest of each table with incremental snapshots
//     (see snapshot_incr.go for why that never moves a row back in time);
//     on MySQL, or from a checkpoint of an older sluice, start it over;
//   - otherwise resume at the recorded position, and copy selected tables
//     the checkpoint does not cover (added to tables: since) with
//     incremental snapshots while streaming.
func (s *Source) startPosition(ctx context.Context, st *checkpoint.SourceState) (event.Position, error) {
	s.snap.covered = map[string]bool{}
	if st == nil {
		return s.firstStart(ctx)
	}
	s.state = *st
	s.restoreQuarantine(st.Quarantined) // quarantine.go
	s.pub.Acked, s.pub.Committed = st.Position, st.Position
	s.pub.AckedSeq, s.pub.CommittedSeq = st.Seq, st.Seq
	s.snap.lastSeq = max(st.SnapshotSeq, st.Seq)
	for _, t := range st.Covered {
		s.snap.covered[t] = true
	}
	if st.Position.File != "" {
		gone, oldest, err := s.purged(ctx, st.Position)
		if err != nil {
			return event.Position{}, err
		}
		if gone {
			return s.purgedStart(ctx, st, oldest)
		}
	}
	switch {
	case st.Snapshot == checkpoint.SnapshotRunning && st.Version >= 2 && s.info.Flavor == "mariadb":
		s.log.Warn("previous snapshot did not finish: resuming it from its last acknowledged chunks while streaming from its position",
			"position", st.Position.String(), "tables_left", len(st.Tables), "tables_done", len(st.Covered), "rows_done", rowsDone(st.Tables))
		s.state.Snapshot = checkpoint.SnapshotDone
		for i := range s.state.Tables {
			s.state.Tables[i].Reason = "resume"
		}
	case st.Snapshot == checkpoint.SnapshotRunning:
		attempt := st.SnapshotAttempt + 1
		s.log.Warn("previous snapshot did not finish: starting it over; sinks empty its tables first",
			"tables", st.SnapshotTables, "attempt", attempt)
		pos, err := s.snapshot(ctx, attempt, st.SnapshotTables)
		if err != nil {
			return pos, err
		}
		return pos, s.planSnapshots(ctx)
	case st.Version < 2:
		for t := range s.tables { // a checkpoint of an older sluice: its tables were copied
			s.snap.covered[t] = true
		}
	}
	return st.Position, s.planSnapshots(ctx)
}

// firstStart snapshots every selected table, or, with snapshot: never,
// starts at the server's current position.
func (s *Source) firstStart(ctx context.Context) (event.Position, error) {
	if s.cfg.Snapshot == "never" {
		pos, err := masterPosition(ctx, s.db, s.info.Flavor)
		if err != nil {
			return event.Position{}, err
		}
		s.state = checkpoint.SourceState{Position: pos, Snapshot: checkpoint.SnapshotDone, SignalOffset: s.signalEnd(ctx, 0)}
		s.pub.Acked, s.pub.Committed = pos, pos
		for t := range s.tables {
			s.snap.covered[t] = true
		}
		if err := s.saveState(ctx); err != nil {
			return event.Position{}, err
		}
		return pos, s.planSnapshots(ctx)
	}
	pos, err := s.snapshot(ctx, 0, nil)
	if err != nil {
		return pos, err
	}
	return pos, s.planSnapshots(ctx)
}

// purgedStart handles a recorded position whose binlog file is gone.
func (s *Source) purgedStart(ctx context.Context, st *checkpoint.SourceState, oldest string) (event.Position, error) {
	if s.cfg.Snapshot != "when_needed" {
		return event.Position{}, &connector.Fatal{Err: fmt.Errorf(
			"source %s: the recorded position %s is in binlog file %s, which the server no longer has (purged; its oldest binlog is %s): "+
				"the changes since then cannot be read. Set snapshot: when_needed to copy every table again (sinks empty them first), "+
				"or start the pipeline over with a new snapshot (new pipeline name, or delete its topics and the replicas' tables)",
			s.cfg.Name, st.Position, st.Position.File, oldest)}
	}
	var names []string
	for t := range s.tables {
		names = append(names, t)
	}
	slices.Sort(names)
	s.log.Warn("recorded position purged from the server's binlog: snapshotting every table again (snapshot: when_needed); sinks empty them first",
		"position", st.Position.String(), "oldest_binlog", oldest, "tables", names)
	pos, err := s.snapshot(ctx, st.SnapshotAttempt+1, names)
	if err != nil {
		return pos, err
	}
	return pos, s.planSnapshots(ctx)
}

// purged reports whether the binlog file of pos is gone from the server,
// and the server's oldest binlog file.
func (s *Source) purged(ctx context.Context, pos event.Position) (bool, string, error) {
	logs, err := dbconn.BinaryLogs(ctx, s.db)
	if err != nil {
		return false, "", err
	}
	for _, l := range logs {
		if l.Name == pos.File {
			return false, logs[0].Name, nil
		}
	}
	return true, logs[0].Name, nil
}

// planSnapshots forgets the coverage of tables no longer selected, queues
// an incremental snapshot of every selected table that is neither covered
// nor queued, and starts reading snapshot requests. On
// MySQL, which cannot run incremental snapshots, such tables are an error.
func (s *Source) planSnapshots(ctx context.Context) error {
	// A pipeline started by an older sluice has no signal topic yet.
	if _, err := s.env.Kafka.EnsureTopic(ctx, kafka.TopicSpec{Name: s.topics.Signal(), Partitions: 1}); err != nil {
		return err
	}
	s.snap.signals = true
	// A table left out of tables: is not followed: when it is selected
	// again, its copy is stale and it must be copied anew, not taken as
	// covered by the checkpoint of a run that selected it.
	for t := range s.snap.covered {
		if s.tables[t] == nil {
			delete(s.snap.covered, t)
		}
	}
	var added []string
	for t := range s.tables {
		if !s.snap.covered[t] && !s.queued(t) && !s.held(t) {
			added = append(added, t)
		}
	}
	slices.Sort(added)
	if s.info.Flavor != "mariadb" {
		if len(added) > 0 || len(s.state.Tables) > 0 {
			return &connector.Fatal{Err: fmt.Errorf("source %s: tables %v need a snapshot while streaming (added to tables: since the first start), "+
				"and incremental snapshots need MariaDB (binlog_snapshot_position); on MySQL start the pipeline over to copy them", s.cfg.Name, append(added, snapTableNames(s.state.Tables)...))}
		}
		return nil
	}
	s.snap.inc = newIncSnap(s)
	for _, t := range added {
		s.log.Info("table not yet copied (added to tables:): snapshotting it while streaming", "table", t)
		s.snap.inc.add(t, "added")
	}
	if len(added) > 0 {
		return s.saveState(ctx)
	}
	return nil
}

func rowsDone(ts []checkpoint.TableSnapshot) int64 {
	var n int64
	for _, t := range ts {
		n += t.Rows
	}
	return n
}

func snapTableNames(ts []checkpoint.TableSnapshot) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Table)
	}
	return out
}
