package source

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

var _ connector.SnapshotRequester = (*Source)(nil)

// RequestSnapshot implements connector.SnapshotRequester: it publishes a
// snapshot request for tables on the source's signal topic and returns it
// with its offset once Kafka acknowledged it. The running source reads it
// within a second (or when it next starts) and copies each table again with
// an incremental snapshot while streaming. Each table must be a db.table
// name its tables: select, and exist on the source server.
func (s *Source) RequestSnapshot(ctx context.Context, tables []string, by string) (*event.Signal, int64, error) {
	src, c := s.cfg, s.env.Kafka
	if len(tables) == 0 {
		return nil, 0, fmt.Errorf("%w: no table given", connector.ErrBadSnapshotRequest)
	}
	seen := map[string]bool{}
	for _, t := range tables {
		if err := event.CheckTableName(t); err != nil {
			return nil, 0, fmt.Errorf("%w: %v", connector.ErrBadSnapshotRequest, err)
		}
		db, table, _ := strings.Cut(t, ".")
		if !catalog.Filter(src.Tables).Match(db, table) {
			return nil, 0, fmt.Errorf("%w: table %q is not selected by source %s (tables: %s)", connector.ErrBadSnapshotRequest, t, src.Name, strings.Join(src.Tables, ", "))
		}
		if seen[t] {
			return nil, 0, fmt.Errorf("%w: table %q named twice", connector.ErrBadSnapshotRequest, t)
		}
		seen[t] = true
	}
	if err := s.tablesExist(ctx, tables); err != nil {
		return nil, 0, err
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	sig := &event.Signal{Type: event.SignalSnapshot, ID: hex.EncodeToString(id[:]), Tables: tables, By: by, Time: clock.Now().UTC()}
	b, err := json.Marshal(sig)
	if err != nil {
		return nil, 0, err
	}
	topic := s.topics.Signal()
	if _, err := c.EnsureTopic(ctx, kafka.TopicSpec{Name: topic, Partitions: 1}); err != nil {
		return nil, 0, fmt.Errorf("signal topic %s: %w", topic, err)
	}
	off, err := c.Produce(ctx, topic, 0, []kafka.Record{{Key: []byte(sig.ID), Value: b}})
	if err != nil {
		return nil, 0, fmt.Errorf("publish snapshot request on %s: %w", topic, err)
	}
	return sig, off, nil
}

// tablesExist checks that every table is on the source server: a request
// for a table that is not there would be accepted and never copied.
func (s *Source) tablesExist(ctx context.Context, tables []string) error {
	db, _, err := dbconn.Open(ctx, s.cfg.DSN, 1)
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	defer db.Close()
	for _, t := range tables {
		dbName, table, _ := strings.Cut(t, ".")
		var n int
		qctx, cancel := dbconn.MetaCtx(ctx)
		err := db.QueryRowContext(qctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'", dbName, table).Scan(&n)
		cancel()
		if err != nil {
			return fmt.Errorf("source %s: look up table %s: %w", s.cfg.Name, t, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: no table %s on source %s (%s)", connector.ErrBadSnapshotRequest, t, s.cfg.Name, config.MaskDSN(s.cfg.DSN))
		}
	}
	return nil
}
