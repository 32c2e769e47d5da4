package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// initSchema sets the definitions the reader starts with. When the source
// resumes from a recorded position and its schema history (the schema
// topic) has records, the definitions are rebuilt from the history as of
// that position: the server's tables today may already have changed past
// it. Otherwise (first start, a snapshot starting over, or no history yet)
// they are read from information_schema and published as the history's
// start. Selected tables the history does not know (tables: widened) are
// read from the server too, with a warning: they are as of now.
func (s *Source) initSchema(ctx context.Context, st *checkpoint.SourceState) error {
	if err := registerCharsets(ctx, s.db); err != nil {
		return err
	}
	ss := newSchemaState(s.filter, s.info.Flavor == "mariadb", s.tables)
	if err := readCharsets(ctx, s.db, ss); err != nil {
		return err
	}
	s.schema = ss
	if st != nil && st.Snapshot != checkpoint.SnapshotRunning && st.Position.File != "" {
		n, err := event.BinlogFileNumber(st.Position.File)
		if err != nil {
			return err
		}
		at := event.MakeSeq(n, st.Position.Pos, 0)
		records, err := s.replayHistory(ctx, at)
		if err != nil {
			return err
		}
		if records > 0 {
			s.log.Info("schema history rebuilt", "records", records, "tables", len(s.tables), "as_of", st.Position.String())
			return s.captureMissing(ctx, st.Position, true)
		}
	}
	pos, err := masterPosition(ctx, s.db, s.info.Flavor)
	if err != nil {
		return err
	}
	return s.captureMissing(ctx, pos, false)
}

// captureSeq is the Seq of definitions read from the server when the
// binlog was at pos: just below every transaction after pos and every
// snapshot chunk taken at pos or later.
func captureSeq(pos event.Position) (event.Seq, error) {
	n, err := event.BinlogFileNumber(pos.File)
	if err != nil {
		return "", err
	}
	return event.MakeSeq(n, max(pos.Pos, 1)-1, 0), nil
}

// captureMissing reads the selected tables missing from s.tables from
// information_schema and publishes them to the history as in force from
// pos on.
func (s *Source) captureMissing(ctx context.Context, pos event.Position, warn bool) error {
	seq, err := captureSeq(pos)
	if err != nil {
		return err
	}
	names, err := listTables(ctx, s.db, s.filter)
	if err != nil {
		return err
	}
	if len(names) == 0 && len(s.tables) == 0 {
		s.log.Warn("no table matches tables:", "patterns", s.cfg.Tables)
	}
	var recs []kafka.Record
	for _, n := range names {
		name := n[0] + "." + n[1]
		if s.tables[name] != nil {
			continue
		}
		def, err := loadTable(ctx, s.db, n[0], n[1])
		if err != nil {
			return &connector.Fatal{Err: fmt.Errorf("source %s: %w", s.cfg.Name, err)}
		}
		if warn {
			s.log.Warn("table not in the schema history: its definition is read as of now", "table", name)
		}
		s.tables[name] = def
		b, err := jsonMarshal(event.SchemaRecord{Seq: seq, Table: *def})
		if err != nil {
			return err
		}
		recs = append(recs, kafka.Record{Key: []byte(name), Value: b})
	}
	if len(recs) == 0 {
		return nil
	}
	_, err = s.env.Kafka.Produce(ctx, s.topics.Schema(), 0, recs)
	return err
}

// replayHistory sets s.tables to the definitions in force at at: for each
// table, the history record with the highest Seq before at (the later one
// in the topic when Seqs are equal). Records at or after at were written by
// an earlier run that got further than its last checkpoint; the reader will
// see their statements again, and a restarted reader may write a record
// again, so topic order alone is not history order. It returns how many
// records the topic holds.
func (s *Source) replayHistory(ctx context.Context, at event.Seq) (int, error) {
	topic := s.topics.Schema()
	first, end, err := s.env.Kafka.Offsets(ctx, topic, 0)
	if err != nil || end <= first {
		return 0, err
	}
	r, err := s.env.Kafka.NewPartitionReader(ctx, topic, 0, first)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	best := map[string]*event.SchemaRecord{}
	shadowRecs := map[string][]*event.SchemaRecord{}
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return n, err
		}
		n++
		sr, err := event.DecodeSchemaRecord(rec.Value)
		if err != nil {
			return n, &connector.Fatal{Err: fmt.Errorf("schema history %s/0 offset %d: %w", topic, rec.Offset, err)}
		}
		if sr.Seq != "" && !sr.Seq.Less(at) {
			continue
		}
		if b := best[sr.Table.Name()]; b == nil || !sr.Seq.Less(b.Seq) {
			best[sr.Table.Name()] = sr
		}
		if isShadow(sr.Table.Name()) {
			shadowRecs[sr.Table.Name()] = append(shadowRecs[sr.Table.Name()], sr)
		}
	}
	for name, sr := range best {
		if !sr.Dropped && s.filter.Match(sr.Table.DB, sr.Table.Table) {
			s.tables[name] = &sr.Table
		}
	}
	s.schema.replayShadows(shadowRecs)
	return n, nil
}

// publishDDL records what one DDL statement did in the history, and
// returns once Kafka acknowledged it: before the checkpoint can pass the
// statement and before rows decoded with the new definitions are sent.
func (s *Source) publishDDL(ctx context.Context, seq event.Seq, pos event.Position, schema, stmt string, ch *ddlChange) error {
	var recs []kafka.Record
	add := func(r event.SchemaRecord) error {
		r.Seq, r.Statement, r.Schema, r.Position = seq, stmt, schema, &pos
		b, err := jsonMarshal(r)
		if err != nil {
			return err
		}
		recs = append(recs, kafka.Record{Key: []byte(r.Table.Name()), Value: b})
		return nil
	}
	for _, name := range ch.dropped {
		db, t, _ := strings.Cut(name, ".")
		if err := add(event.SchemaRecord{Table: event.TableDef{DB: db, Table: t}, Dropped: true}); err != nil {
			return err
		}
	}
	for _, def := range ch.changed {
		if err := add(event.SchemaRecord{Table: *def}); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		return nil
	}
	_, err := s.env.Kafka.Produce(ctx, s.topics.Schema(), 0, recs)
	return err
}

// readCharsets reads the server's and each database's default character
// set, for columns created without one.
func readCharsets(ctx context.Context, db *sql.DB, ss *schemaState) error {
	if err := db.QueryRowContext(ctx, "SELECT @@character_set_server").Scan(&ss.serverCharset); err != nil {
		return fmt.Errorf("read character_set_server: %w", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return fmt.Errorf("read database character sets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, cs string
		if err := rows.Scan(&name, &cs); err != nil {
			return err
		}
		ss.charsets[name] = strings.ToLower(cs)
	}
	return rows.Err()
}
