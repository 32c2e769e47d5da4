package source

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
	"github.com/sluice-cdc/sluice/pkg/version"
)

// benchTable is a 20-column table like sluice-bench's update workload, with
// the binlog values go-mysql decodes for one row of it.
func benchTable() (*event.TableDef, []int, []any) {
	def := &event.TableDef{DB: "bench", Table: "wide", PrimaryKey: []string{"id"}}
	var raw []any
	add := func(name, dt, ct string, v any) {
		c := event.Column{Name: name, DataType: dt, ColumnType: ct}
		if dt == "varchar" || dt == "text" {
			c.Charset = "utf8mb4"
		}
		if dt == "decimal" {
			c.Precision, c.Scale = 10, 2
		}
		def.Columns = append(def.Columns, c)
		raw = append(raw, v)
	}
	add("id", "bigint", "bigint(20)", int64(123456))
	for i := range 8 {
		add(fmt.Sprintf("i%d", i), "int", "int(11)", int32(i*1000))
	}
	for i := range 5 {
		add(fmt.Sprintf("s%d", i), "varchar", "varchar(120)", strings.Repeat("abcdefgh", 8))
	}
	add("price", "decimal", "decimal(10,2)", "1234.56")
	add("created", "datetime", "datetime(6)", "2024-05-06 07:08:09.123456")
	add("updated", "timestamp", "timestamp", "2024-05-06 07:08:09")
	add("flag", "tinyint", "tinyint(3) unsigned", int8(-1))
	add("note", "text", "text", []byte("a note of some length for the text column"))
	add("extra", "varchar", "varchar(20)", nil)
	idx := make([]int, len(def.Columns))
	for i := range idx {
		idx[i] = i
	}
	return def, idx, raw
}

func BenchmarkDecodeRow(b *testing.B) {
	def, idx, raw := benchTable()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRow(def, idx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmitUpdate is the reader's CPU per updated row without I/O:
// decode both images, compare keys, build the envelope, encode key and
// value, place and queue the record.
func BenchmarkEmitUpdate(b *testing.B) {
	def, idx, raw := benchTable()
	after := append([]any{}, raw...)
	after[1] = int32(7)
	s := &Source{topics: event.Topics{Pipeline: "p", Source: "src"}}
	s.pub = publish.New(kafka.NewClient([]string{"127.0.0.1:1"}, 0, 1<<20), s.topics, 3, metrics.New(), [2]string{"p", "src"})
	s.pub.Known[s.topics.Table("bench", "wide")] = 3
	st := &streamer{s: s, file: "mariadb-bin.000001"}
	src := event.Source{Version: version.Version, Connector: "mysql", Name: "p", Snapshot: "false", DB: "bench", Table: "wide", File: st.file}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%publish.FlushRows == 0 {
			s.pub.Cur = publish.NewBatch()
			s.pub.Begin(fmt.Sprint(i), event.MakeSeq(1, uint64(i), 0), false)
		}
		before, err := decodeRow(def, idx, raw)
		if err != nil {
			b.Fatal(err)
		}
		aft, err := decodeRow(def, idx, after)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.emit(ctx, def, src, before, aft); err != nil {
			b.Fatal(err)
		}
	}
}
