package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// burstDef is the insert burst table of cmd/sluice-bench.
func burstDef() *event.TableDef {
	def := &event.TableDef{DB: "bench", Table: "burst", PrimaryKey: []string{"id"}, Columns: []event.Column{
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "k", DataType: "int", ColumnType: "int(11)"},
		{Name: "label", DataType: "varchar", ColumnType: "varchar(64)", Charset: "utf8mb4"},
		{Name: "price", DataType: "decimal", ColumnType: "decimal(12,2)", Precision: 12, Scale: 2},
		{Name: "created", DataType: "datetime", ColumnType: "datetime"},
		{Name: "note", DataType: "varchar", ColumnType: "varchar(255)", Charset: "utf8mb4"},
	}}
	for i := range def.Columns {
		value.DescribeColumn(&def.Columns[i])
	}
	return def
}

// burstChanges returns n decoded changes of def as the sink reads them
// from Kafka: op, on ids from+1..from+keys (each key hit n/keys times).
func burstChanges(tb testing.TB, def *event.TableDef, from, n, keys int, op event.Op) []*event.Change {
	out := make([]*event.Change, n)
	for i := range out {
		id := from + 1 + i%keys
		text := map[string]string{"id": fmt.Sprint(id), "k": fmt.Sprint(id % 1000), "label": fmt.Sprint("item ", id),
			"price": fmt.Sprintf("%d.%02d", i%10000, i%100), "created": "2025-01-02 03:04:05", "note": fmt.Sprintf("%060d", i)}
		row := event.Row{}
		for j := range def.Columns {
			c := &def.Columns[j]
			v, err := value.FromText(c, []byte(text[c.Name]))
			if err != nil {
				tb.Fatal(err)
			}
			row[c.Name] = v
		}
		ch := &event.Change{Op: op, After: row, Source: event.Source{DB: def.DB, Table: def.Table, File: "b.000001", Pos: uint32(i)},
			Transaction: &event.Transaction{ID: "t", TotalOrder: uint64(i + 1), Seq: event.MakeSeq(1, uint64(i/1000), 0)}}
		if op == event.OpUpdate {
			ch.Before = row
		}
		enc, err := ch.Encode()
		if err != nil {
			tb.Fatal(err)
		}
		if out[i], err = decodeSinkRow(enc); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// benchApplier is a writer over def's table whose statements go
// nowhere; it counts them and their bytes.
func benchApplier(def *event.TableDef) (*writer, *int, *int) {
	s := &Sink{cfg: &Config{Connector: &config.Connector{Name: "bench"}}, schema: newSchemaHistory(nil, "")}
	s.schema.tables[def.Name()] = []schemaVersion{{def: def}}
	s.applier = &applier{s: s, merge: mergeCache{uniq: map[string]*uniqueInfo{def.Name(): {compact: true}}, uniqAt: time.Now(), stmtBytes: maxStatementBytes}}
	s.applier.workers.s = s
	var stmts, bytes int
	w := s.applier.newWriter(nil, map[[2]string]int{})
	w.run = func(_ context.Context, q string, _ []any) error {
		stmts++
		bytes += len(q)
		return nil
	}
	return w, &stmts, &bytes
}

// BenchmarkSinkBuildInsert measures building the statements of 1,000
// decoded inserts (argument conversion included, no server):
//
//	go test ./connectors/mysql/ -run '^$' -bench SinkBuild
func BenchmarkSinkBuildInsert(b *testing.B) {
	def := burstDef()
	benchMerge(b, def, burstChanges(b, def, 0, 1000, 1000, event.OpCreate))
}

// BenchmarkSinkBuildUpdates measures merging 5,000 updates of 500 keys
// (each key updated 10 times across transactions) into statements.
func BenchmarkSinkBuildUpdates(b *testing.B) {
	def := burstDef()
	benchMerge(b, def, burstChanges(b, def, 0, 5000, 500, event.OpUpdate))
}

// benchMerge merges and builds the statements of rows, b.N times.
func benchMerge(b *testing.B, def *event.TableDef, rows []*event.Change) {
	a, stmts, _ := benchApplier(def)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := newMerger(a)
		if err := m.add(context.Background(), rows); err != nil {
			b.Fatal(err)
		}
		if err := m.flush(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(*stmts)/float64(b.N), "stmts/op")
}

// BenchmarkSinkDecodeRow measures decoding one table-topic message of
// the burst table (what collect does per row).
func BenchmarkSinkDecodeRow(b *testing.B) {
	def := burstDef()
	ch := burstChanges(b, def, 0, 1, 1, event.OpCreate)[0]
	ch.Source.Version, ch.Source.Connector = "1", "mysql"
	enc, err := ch.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := decodeSinkRow(enc); err != nil {
			b.Fatal(err)
		}
	}
}
