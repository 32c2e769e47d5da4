package source

import (
	"context"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/version"
)

// publishChunk queues c as one transaction identified by id and seq, closed
// at pos. snap is the envelope's source.snapshot. With rng set the marker
// carries the chunk's key range, so a sink deletes the rows of that range
// the chunk does not hold; a chunk with a range and no rows still leaves a
// marker. A whole keyless table (c.Replace) carries no range but asks sinks
// to empty their copy first. It flushes when the publisher's batch is due.
func (s *Source) publishChunk(ctx context.Context, def *event.TableDef, c *keyset.Chunk, id string, seq event.Seq,
	pos event.Position, snap string, rng *event.KeyRange) error {
	tsMs := clock.Now().UnixMilli()
	s.pub.Begin(id, seq, true)
	s.pub.Tx.Rng = rng
	if c.Replace { // a table without a key, read whole: sinks replace their copy
		s.pub.Tx.Rng = nil
		s.pub.Truncate([]string{def.Name()})
	}
	src := event.Source{
		Version: version.Version, Connector: "mysql", Name: s.env.Config.Name, TsMs: tsMs, Snapshot: snap,
		DB: def.DB, Table: def.Table, ServerID: s.info.ServerID, File: pos.File, Pos: uint32(pos.Pos),
	}
	for _, r := range c.Rows {
		ch := &event.Change{After: r.After, Op: event.OpRead, TsMs: tsMs, Source: src}
		if err := s.pub.Add(ctx, ch, r.Key); err != nil {
			return err
		}
	}
	if err := s.pub.Commit(pos, tsMs); err != nil {
		return err
	}
	s.env.Metrics.SnapshotRows.WithLabelValues(s.labels[0], s.labels[1], def.Name()).Add(float64(len(c.Rows)))
	if s.pub.Due(publish.FlushRows, publish.FlushBytes, time.Hour) {
		if rng == nil {
			// The initial snapshot reads on while Kafka acknowledges; its
			// progress is saved as chunks are acknowledged (ackedProgress).
			// Source rate on 300k rows (make bench-snapshot): 90-133k rows/s
			// with Flush, 178-337k with Send.
			return s.pub.Send(ctx)
		}
		// An incremental chunk waits: measured, Send made it slower
		// (121-132k rows/s against 193k).
		return s.pub.Flush(ctx)
	}
	return nil
}
