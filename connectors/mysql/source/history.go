package source

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
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
	if err := catalog.RegisterCharsets(ctx, s.db); err != nil {
		return err
	}
	ss := catalog.NewState(s.filter, s.info.Flavor == "mariadb", s.tables)
	if v := catalog.VersionNumber(s.info.Version); v > 0 {
		ss.Dialect.Version = v // executable comments run as this server runs them
	}
	if err := readCharsets(ctx, s.db, ss); err != nil {
		return err
	}
	s.schema = ss
	resume, err := s.resumesAt(ctx, st)
	if err != nil {
		return err
	}
	if resume {
		at := s.historyAt // failover.go: set when the server changed
		if at == "" {
			if at, err = s.seqAt(st.Position.File, st.Position.Pos, 0); err != nil {
				return err
			}
		}
		known, err := s.replayHistory(ctx, at)
		if err != nil {
			return err
		}
		if len(known) > 0 {
			s.log.Info("schema history rebuilt", "tables", len(s.tables), "as_of", st.Position.String())
			return s.deferCapture(ctx)
		}
	}
	pos, err := masterPosition(ctx, s.db, s.info.Flavor)
	if err != nil {
		return err
	}
	// Starting over: what the history still lists and the server no longer
	// has is recorded as dropped, so no later rebuild brings it back.
	gone, err := s.replayHistory(ctx, event.Seq("9"))
	if err != nil {
		return err
	}
	clear(s.tables)
	ss.Shadows, ss.Retired = map[string]*catalog.Shadow{}, map[string]*event.TableDef{}
	if err := readCharsets(ctx, s.db, ss); err != nil { // the server's now, not the history's
		return err
	}
	if err := s.captureMissing(ctx, pos, nil); err != nil {
		return err
	}
	if err := s.recordDatabases(ctx, pos); err != nil { // history_db.go
		return err
	}
	for name := range s.tables {
		delete(gone, name)
	}
	return s.publishDropped(ctx, pos, gone)
}

// resumesAt reports whether streaming resumes at st's position with the
// definitions in force there (as startPosition decides): not on first
// start, not when that position's binlog was purged, and not when an
// interrupted initial snapshot starts over (MySQL, older checkpoints).
func (s *Source) resumesAt(ctx context.Context, st *checkpoint.SourceState) (bool, error) {
	if st == nil || st.Position.File == "" {
		return false, nil
	}
	if st.Snapshot == checkpoint.SnapshotRunning && !(st.Version >= 2 && s.info.Flavor == "mariadb") {
		return false, nil
	}
	gone, _, err := s.purged(ctx, st.Position)
	return !gone, err
}

// publishDropped records tables as dropped from pos on.
func (s *Source) publishDropped(ctx context.Context, pos event.Position, names map[string]bool) error {
	seq, err := s.captureSeq(pos)
	if err != nil || len(names) == 0 {
		return err
	}
	var recs []kafka.Record
	for name := range names {
		db, t, _ := strings.Cut(name, ".")
		r, err := s.schemaRecord(ctx, event.SchemaRecord{Seq: seq, Table: event.TableDef{DB: db, Table: t}, Dropped: true})
		if err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		recs = append(recs, kafka.Record{Key: []byte(name), Value: b})
	}
	_, err = s.env.Kafka.Produce(ctx, s.topics.Schema(), 0, recs)
	return err
}

// captureSeq is the Seq of definitions read from the server when the
// binlog was at pos: just below every transaction after pos and every
// snapshot chunk taken at pos or later.
func (s *Source) captureSeq(pos event.Position) (event.Seq, error) {
	return s.seqAt(pos.File, max(pos.Pos, 1)-1, 0)
}

// pendingCapture is a capture deferred until the reader catches up.
type pendingCapture struct {
	tables []string       // selected tables the rebuilt history lacks
	at     event.Position // the server's end of binlog when the source started
}

// deferCapture notes the selected tables the rebuilt history lacks. They
// may have been added to tables: since (then the server's definition is
// all there is), or be created or renamed into place by DDL the reader has
// yet to read (then the history learns them from that DDL). Which one is
// known once the reader has caught up with the server's current end of
// binlog: captureDue then reads those still missing.
func (s *Source) deferCapture(ctx context.Context) error {
	names, err := catalog.ListTables(ctx, s.db, s.filter)
	if err != nil {
		return err
	}
	s.capture.tables = nil
	for _, n := range names {
		if name := n[0] + "." + n[1]; s.tables[name] == nil && !catalog.IsShadow(name) {
			s.capture.tables = append(s.capture.tables, name)
		}
	}
	if len(s.capture.tables) == 0 {
		return nil
	}
	s.capture.at, err = masterPosition(ctx, s.db, s.info.Flavor)
	return err
}

// captureDue runs the deferred capture once the reader has passed the
// position the server was at when the source started, outside any
// transaction. The tables it reads get a snapshot, like any table that
// appears without its rows on the replicas.
func (st *streamer) captureDue(ctx context.Context) error {
	s := st.s
	if len(s.capture.tables) == 0 || st.txOpen || !reached(s.pub.Committed, s.capture.at) {
		return nil
	}
	var missing []string
	for _, name := range s.capture.tables {
		if s.tables[name] == nil {
			missing = append(missing, name)
		}
	}
	s.capture.tables = nil
	if err := s.captureMissing(ctx, s.pub.Committed, missing); err != nil {
		return err
	}
	for _, name := range missing {
		if s.tables[name] != nil {
			s.schema.NeedCopy[name] = true
		}
	}
	if len(missing) > 0 {
		s.afterDDL("")
		return st.recordDDL(ctx) // stream.go: the covered set changed
	}
	return nil
}

// reached reports whether position p is at or after q.
func reached(p, q event.Position) bool {
	pn, err1 := event.BinlogFileNumber(p.File)
	qn, err2 := event.BinlogFileNumber(q.File)
	if err1 != nil || err2 != nil {
		return false
	}
	return pn > qn || (pn == qn && p.Pos >= q.Pos)
}

// captureMissing reads the selected tables missing from s.tables (only
// those named in only, when it is not nil) from information_schema and
// publishes them to the history as in force from pos on. With only set the
// history exists, and each table captured is logged: its definition is as
// of now, not as of pos.
func (s *Source) captureMissing(ctx context.Context, pos event.Position, only []string) error {
	seq, err := s.captureSeq(pos)
	if err != nil {
		return err
	}
	names, err := catalog.ListTables(ctx, s.db, s.filter)
	if err != nil {
		return err
	}
	if len(names) == 0 && len(s.tables) == 0 {
		s.log.Warn("no table matches tables:", "patterns", s.cfg.Tables)
	}
	var recs []kafka.Record
	for _, n := range names {
		name := n[0] + "." + n[1]
		if s.tables[name] != nil || (only != nil && !slices.Contains(only, name)) {
			continue
		}
		def, err := catalog.LoadTable(ctx, s.db, n[0], n[1])
		if err != nil {
			return &connector.Fatal{Err: fmt.Errorf("source %s: %w", s.cfg.Name, err)}
		}
		if only != nil {
			s.log.Warn("table not in the schema history: its definition is read as of now", "table", name)
		}
		s.tables[name] = def
		r, err := s.schemaRecord(ctx, event.SchemaRecord{Seq: seq, Table: *def})
		if err != nil {
			return err
		}
		b, err := json.Marshal(r)
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
// again, so topic order alone is not history order. It returns the names
// of all tables the topic has records of, at any Seq.
func (s *Source) replayHistory(ctx context.Context, at event.Seq) (map[string]bool, error) {
	topic := s.topics.Schema()
	s.histTopics, s.topicFor = tableTopics{}, nil
	first, end, err := s.env.Kafka.Offsets(ctx, topic, 0)
	if err != nil || end <= first {
		return nil, err
	}
	r, err := s.env.Kafka.NewPartitionReader(ctx, topic, 0, first)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	known := map[string]bool{}
	var recs, dbRecs []*event.SchemaRecord
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return nil, err
		}
		sr, err := event.DecodeSchemaRecord(rec.Value)
		if err != nil {
			return nil, &connector.Fatal{Err: fmt.Errorf("schema history %s/0 offset %d: %w", topic, rec.Offset, err)}
		}
		if sr.Database != nil {
			dbRecs = append(dbRecs, sr)
			continue
		}
		known[sr.Table.Name()] = true
		s.histTopics.note(sr)
		recs = append(recs, sr)
	}
	best, shadowRecs := versionsAt(recs, at)
	// A connector restarted in the same process keeps its Source: what an
	// earlier run read past the checkpoint must not stay.
	clear(s.tables)
	for name, sr := range best {
		if !sr.Dropped && s.filter.Match(sr.Table.DB, sr.Table.Table) {
			s.tables[name] = &sr.Table
		}
	}
	s.schema.ReplayShadows(shadowRecs)
	s.databasesAt(dbRecs, at) // history_db.go
	return known, nil
}

// versionsAt picks, from history records in topic order, each table's
// record in force at at: the one with the highest Seq before at, the later
// in the topic among equal Seqs (a statement that drops and makes a table
// again writes both, in that order). It also returns the records of
// shadow tables before at, for replayShadows.
func versionsAt(recs []*event.SchemaRecord, at event.Seq) (map[string]*event.SchemaRecord, map[string][]*event.SchemaRecord) {
	best := map[string]*event.SchemaRecord{}
	shadows := map[string][]*event.SchemaRecord{}
	for _, sr := range recs {
		if sr.Seq != "" && !sr.Seq.Less(at) {
			continue
		}
		name := sr.Table.Name()
		if b := best[name]; b == nil || !sr.Seq.Less(b.Seq) {
			best[name] = sr
		}
		if catalog.IsShadow(name) {
			shadows[name] = append(shadows[name], sr)
		}
	}
	return best, shadows
}

// publishDDL records what one DDL statement did in the history, and
// returns once Kafka acknowledged it: before the checkpoint can pass the
// statement and before rows decoded with the new definitions are sent.
func (s *Source) publishDDL(ctx context.Context, seq event.Seq, pos event.Position, schema, stmt string, ch *catalog.Change) error {
	var recs []kafka.Record
	add := func(r event.SchemaRecord) error {
		r.Seq, r.Statement, r.Schema, r.Position = seq, stmt, schema, &pos
		r, err := s.schemaRecord(ctx, r)
		if err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		recs = append(recs, kafka.Record{Key: []byte(r.Table.Name()), Value: b})
		return nil
	}
	for _, name := range ch.Dropped {
		db, t, _ := strings.Cut(name, ".")
		if err := add(event.SchemaRecord{Table: event.TableDef{DB: db, Table: t}, Dropped: true}); err != nil {
			return err
		}
	}
	for _, def := range ch.Changed {
		if err := add(event.SchemaRecord{Table: *def}); err != nil {
			return err
		}
	}
	dbs, err := s.databaseRecords(seq, pos, schema, stmt, ch.Databases) // history_db.go
	if err != nil {
		return err
	}
	recs = append(recs, dbs...)
	if len(recs) == 0 {
		return nil
	}
	_, err = s.env.Kafka.Produce(ctx, s.topics.Schema(), 0, recs)
	return err
}

// readCharsets reads the server's and each database's default character
// set and collation, for columns created without one and databases a
// sink creates.
func readCharsets(ctx context.Context, db *sql.DB, ss *catalog.State) error {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	if err := db.QueryRowContext(ctx, "SELECT @@character_set_server, @@collation_server").Scan(&ss.ServerCharset, &ss.ServerCollation); err != nil {
		return fmt.Errorf("read character_set_server: %w", err)
	}
	ss.ServerCharset, ss.ServerCollation = strings.ToLower(ss.ServerCharset), strings.ToLower(ss.ServerCollation)
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return fmt.Errorf("read database character sets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, cs, co string
		if err := rows.Scan(&name, &cs, &co); err != nil {
			return err
		}
		ss.Charsets[name], ss.Collations[name] = strings.ToLower(cs), strings.ToLower(co)
	}
	return rows.Err()
}
