package sink

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// schemaVersion is one record of the source's schema history: the
// definition of a table from seq on, or its absence.
type schemaVersion struct {
	seq     event.Seq
	def     *event.TableDef // nil when dropped
	ddl     bool            // written for a DDL statement (not read from the server)
	ordinal int             // position in the topic, breaking ties between equal seqs
}

// addVersion inserts a history record, keeping each table's versions
// ordered by seq and, for equal seqs, by topic order.
func (s *Sink) addVersion(name string, v schemaVersion) {
	vs := s.hist[name]
	i := sort.Search(len(vs), func(i int) bool { return v.seq.Less(vs[i].seq) })
	vs = append(vs, schemaVersion{})
	copy(vs[i+1:], vs[i:])
	vs[i] = v
	s.hist[name] = vs
}

// defAt returns the definition of table name in force at transaction seq:
// the last version at or before seq. A table first known from a definition
// read from the server (not from a DDL) has that definition before it too,
// so rows of a table seen for the first time can be decoded. It returns
// nil when the table is unknown or dropped at seq.
func (s *Sink) defAt(name string, seq event.Seq) *event.TableDef {
	vs := s.hist[name]
	for i := len(vs) - 1; i >= 0; i-- {
		if !seq.Less(vs[i].seq) {
			return vs[i].def
		}
	}
	if len(vs) > 0 && !vs[0].ddl {
		return vs[0].def
	}
	return nil
}

// defBefore returns the last version of table name before seq, and the
// seq of that version; nil when the table did not exist just before seq.
func (s *Sink) defBefore(name string, seq event.Seq) (*event.TableDef, event.Seq) {
	vs := s.hist[name]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].seq.Less(seq) {
			return vs[i].def, vs[i].seq
		}
	}
	return nil, ""
}

// refreshSchemas reads the schema topic from where it stopped to its end.
func (s *Sink) refreshSchemas(ctx context.Context) error {
	s.lastSchema = time.Now()
	topic := s.topics.Schema()
	_, end, err := s.env.Kafka.Offsets(ctx, topic, 0)
	if err != nil || end <= s.schemaNext {
		return err
	}
	r, err := s.env.Kafka.NewPartitionReader(ctx, topic, 0, s.schemaNext)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return err
		}
		sr, err := event.DecodeSchemaRecord(rec.Value)
		if err != nil {
			return fmt.Errorf("%s/0 offset %d: %w", topic, rec.Offset, err)
		}
		v := schemaVersion{seq: sr.Seq, ddl: sr.Statement != "", ordinal: int(rec.Offset)}
		if !sr.Dropped {
			def := sr.Table
			v.def = &def
		}
		s.addVersion(sr.Table.Name(), v)
	}
	s.schemaNext = end
	return nil
}

// table returns the definition of name in force at seq, reading new schema
// records if it is not known yet.
func (s *Sink) table(ctx context.Context, name string, seq event.Seq) (*event.TableDef, error) {
	if d := s.defAt(name, seq); d != nil {
		return d, nil
	}
	for i := 0; i < 100; i++ {
		if err := s.refreshSchemas(ctx); err != nil {
			return nil, err
		}
		if d := s.defAt(name, seq); d != nil {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("no definition of %s at seq %s on %s: the source must publish it before its rows", name, seq, s.topics.Schema())
}
