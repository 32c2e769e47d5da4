package mysql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// ErrBadSnapshotRequest wraps what is wrong with a snapshot request's
// tables (not a db.table name, or not selected by the source).
var ErrBadSnapshotRequest = errors.New("bad snapshot request")

// SnapshotSource returns the mysql-source a snapshot request is for: the one
// named, or the file's only source when name is empty.
func SnapshotSource(cfg *config.Config, name string) (*config.Connector, error) {
	srcs := cfg.Sources()
	if name == "" {
		if len(srcs) != 1 {
			var names []string
			for _, s := range srcs {
				names = append(names, s.Name)
			}
			return nil, fmt.Errorf("%w: %s has %d mysql-source connectors (%s): name one", ErrBadSnapshotRequest, cfg.Path, len(srcs), strings.Join(names, ", "))
		}
		return srcs[0], nil
	}
	c := cfg.Connector(name)
	if c == nil || !c.IsSource() {
		return nil, fmt.Errorf("%w: %q is not a mysql-source connector of %s", ErrBadSnapshotRequest, name, cfg.Path)
	}
	return c, nil
}

// RequestSnapshot publishes a snapshot request for tables on the signal
// topic of source src and returns it with its offset once Kafka
// acknowledged it. The running source reads it within a second (or when it
// next starts) and copies each table again with an incremental snapshot
// while streaming. Each table must be a db.table name its tables: select.
func RequestSnapshot(ctx context.Context, c *kafka.Client, cfg *config.Config, src *config.Connector, tables []string, by string) (*event.Signal, int64, error) {
	if len(tables) == 0 {
		return nil, 0, fmt.Errorf("%w: no table given", ErrBadSnapshotRequest)
	}
	seen := map[string]bool{}
	for _, t := range tables {
		if err := event.CheckTableName(t); err != nil {
			return nil, 0, fmt.Errorf("%w: %v", ErrBadSnapshotRequest, err)
		}
		db, table, _ := strings.Cut(t, ".")
		if !tableFilter(src.Tables).Match(db, table) {
			return nil, 0, fmt.Errorf("%w: table %q is not selected by source %s (tables: %s)", ErrBadSnapshotRequest, t, src.Name, strings.Join(src.Tables, ", "))
		}
		if seen[t] {
			return nil, 0, fmt.Errorf("%w: table %q named twice", ErrBadSnapshotRequest, t)
		}
		seen[t] = true
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	sig := &event.Signal{Type: event.SignalSnapshot, ID: hex.EncodeToString(id[:]), Tables: tables, By: by, Time: clock.Now().UTC()}
	b, err := jsonMarshal(sig)
	if err != nil {
		return nil, 0, err
	}
	topic := event.Topics{Pipeline: cfg.Name, Source: src.Name}.Signal()
	if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: topic, Partitions: 1}); err != nil {
		return nil, 0, fmt.Errorf("signal topic %s: %w", topic, err)
	}
	off, err := c.Produce(ctx, topic, 0, []kafka.Record{{Key: []byte(sig.ID), Value: b}})
	if err != nil {
		return nil, 0, fmt.Errorf("publish snapshot request on %s: %w", topic, err)
	}
	return sig, off, nil
}
