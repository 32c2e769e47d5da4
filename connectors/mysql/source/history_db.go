package source

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// The schema history keeps the default character set and collation of the
// selected databases too (event.SchemaRecord.Database): a CREATE TABLE
// without a character set of its own takes its database's, and a history
// rebuilt at a checkpoint must use the database's defaults in force there,
// not the server's now (an ALTER DATABASE after the checkpoint gave tables
// created before it the new character set, and their text was decoded
// with it; found by the differential fuzzer). Databases are recorded at
// every CREATE, ALTER and DROP DATABASE of a selected one, and all of them
// when the history starts over.

// databaseRecords returns the history records of databases dbs as the
// schema state has them after the DDL stmt (seq, pos, schema: as the
// DDL's table records).
func (s *Source) databaseRecords(seq event.Seq, pos event.Position, schema, stmt string, dbs []string) ([]kafka.Record, error) {
	var recs []kafka.Record
	for _, name := range dbs {
		r := event.SchemaRecord{Seq: seq, Statement: stmt, Schema: schema, Database: &event.DatabaseDef{Name: name}}
		if stmt != "" {
			r.Position = &pos
		}
		if cs, ok := s.schema.Charsets[name]; ok {
			r.Database.Charset, r.Database.Collation = cs, s.schema.Collations[name]
		} else {
			r.Dropped = true
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		recs = append(recs, kafka.Record{Key: []byte("database:" + name), Value: b})
	}
	return recs, nil
}

// recordDatabases records every selected database's defaults as in force
// from pos on (the history starting over).
func (s *Source) recordDatabases(ctx context.Context, pos event.Position) error {
	seq, err := s.captureSeq(pos)
	if err != nil {
		return err
	}
	var names []string
	for _, name := range slices.Sorted(maps.Keys(s.schema.Charsets)) {
		if s.schema.DBSelected(name) {
			names = append(names, name)
		}
	}
	recs, err := s.databaseRecords(seq, pos, "", "", names)
	if err != nil || len(recs) == 0 {
		return err
	}
	_, err = s.env.Kafka.Produce(ctx, s.topics.Schema(), 0, recs)
	return err
}

// databasesAt sets the schema state's database defaults to those the
// history's database records say are in force at at (the later record in
// the topic among equal Seqs). When the history recorded every selected
// database when it started (records without a statement), a selected
// database without a record did not exist at at: it is forgotten, so that
// a CREATE DATABASE IF NOT EXISTS read later takes effect (found by the
// differential fuzzer: the server's database of now was kept, with its
// later character set). Otherwise (a history from before databases were
// recorded) databases without a record keep what the server says now.
func (s *Source) databasesAt(recs []*event.SchemaRecord, at event.Seq) {
	best := map[string]*event.SchemaRecord{}
	complete := false
	for _, sr := range recs {
		if sr.Seq != "" && !sr.Seq.Less(at) {
			continue
		}
		complete = complete || sr.Statement == ""
		if b := best[sr.Database.Name]; b == nil || !sr.Seq.Less(b.Seq) {
			best[sr.Database.Name] = sr
		}
	}
	if complete {
		for name := range s.schema.Charsets {
			if best[name] == nil && s.schema.DBSelected(name) {
				delete(s.schema.Charsets, name)
				delete(s.schema.Collations, name)
			}
		}
	}
	for name, sr := range best {
		if sr.Dropped {
			delete(s.schema.Charsets, name)
			delete(s.schema.Collations, name)
			continue
		}
		s.schema.Charsets[name], s.schema.Collations[name] = sr.Database.Charset, sr.Database.Collation
	}
}
