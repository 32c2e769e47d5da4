package sink

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// schemaVersion is one record of the source's schema history: the
// definition of a table from seq on, or its absence.
type schemaVersion struct {
	seq     event.Seq
	def     *event.TableDef // nil when dropped
	ddl     bool            // written for a DDL statement (not read from the server)
	ordinal int             // position in the topic, breaking ties between equal seqs
}

// schemaHistory is the sink's copy of the source's schema history: for
// each source table, its definitions by Seq, read from the schema topic and
// from DDL markers (which carry the definitions after them: rows that
// follow may come before the schema topic has them). Rows are applied with
// the definition in force at their transaction's Seq. Not safe for
// concurrent use, except the lookups (at, before) while nothing is added:
// the workers read it while Run's goroutine waits for them.
type schemaHistory struct {
	kafka  *kafka.Client
	topic  string                     // the schema topic
	tables map[string][]schemaVersion // "db.table" -> its versions, by seq
	next   int64                      // next offset to read on the schema topic
	read   time.Time                  // last refresh
}

func newSchemaHistory(k *kafka.Client, topic string) *schemaHistory {
	return &schemaHistory{kafka: k, topic: topic, tables: map[string][]schemaVersion{}}
}

// add inserts a history record, keeping each table's versions
// ordered by seq and, for equal seqs, by topic order.
func (h *schemaHistory) add(name string, v schemaVersion) {
	vs := h.tables[name]
	i := sort.Search(len(vs), func(i int) bool { return v.seq.Less(vs[i].seq) })
	vs = append(vs, schemaVersion{})
	copy(vs[i+1:], vs[i:])
	vs[i] = v
	h.tables[name] = vs
}

// at returns the definition of table name in force at transaction seq:
// the last version at or before seq. A table first known from a definition
// read from the server (not from a DDL) has that definition before it too,
// so rows of a table seen for the first time can be decoded. It returns
// nil when the table is unknown or dropped at seq.
func (h *schemaHistory) at(name string, seq event.Seq) *event.TableDef {
	vs := h.tables[name]
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

// before returns the last version of table name before seq, and the
// seq of that version; nil when the table did not exist just before seq.
func (h *schemaHistory) before(name string, seq event.Seq) (*event.TableDef, event.Seq) {
	vs := h.tables[name]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].seq.Less(seq) {
			return vs[i].def, vs[i].seq
		}
	}
	return nil, ""
}

// refresh reads the schema topic from where it stopped to its end.
func (h *schemaHistory) refresh(ctx context.Context) error {
	h.read = time.Now()
	topic := h.topic
	_, end, err := h.kafka.Offsets(ctx, topic, 0)
	if err != nil || end <= h.next {
		return err
	}
	r, err := h.kafka.NewPartitionReader(ctx, topic, 0, h.next)
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
		if sr.Database != nil {
			continue // a database's defaults: the source's business
		}
		v := schemaVersion{seq: sr.Seq, ddl: sr.Statement != "", ordinal: int(rec.Offset)}
		if !sr.Dropped {
			def := sr.Table
			v.def = &def
		}
		h.add(sr.Table.Name(), v)
	}
	h.next = end
	return nil
}

// table returns the definition of name in force at seq, reading new schema
// records if it is not known yet.
func (h *schemaHistory) table(ctx context.Context, name string, seq event.Seq) (*event.TableDef, error) {
	if d := h.at(name, seq); d != nil {
		return d, nil
	}
	for i := 0; i < 100; i++ {
		if err := h.refresh(ctx); err != nil {
			return nil, err
		}
		if d := h.at(name, seq); d != nil {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("no definition of %s at seq %s on %s: the source must publish it before its rows", name, seq, h.topic)
}
