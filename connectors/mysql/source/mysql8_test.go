package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// The MySQL 8 cases on binlog files built by mysql8_binlog_test.go: each
// file is read by go-mysql's BinlogParser, then its events go through the
// streamer's handle, as a live stream's would. Rows stop at the
// publisher's queue (no broker: the table topics are known to it).

const m8File = "binlog.000001"

// m8Streamer is a streamer of a source that captures shop.*, at the start
// of m8File, with the GTID set gtids (MySQL syntax).
func m8Streamer(t *testing.T, gtids string) *streamer {
	t.Helper()
	m := metrics.New()
	topics := event.Topics{Pipeline: "p", Source: "src"}
	labels := [2]string{"p", "src"}
	pub := publish.New(kafka.NewClient([]string{"127.0.0.1:9"}, 0, 1<<20), topics, 1, m, labels)
	pub.Known[topics.Table("shop", "items")] = 1
	pub.Known[topics.Table("shop", "docs")] = 1
	s := &Source{
		env: connector.Env{Config: &config.Config{Name: "p"}, Metrics: m, Logger: discardLogger()}, topics: topics,
		filter: catalog.Filter{"shop.*"}, log: discardLogger(), labels: labels, pub: pub,
		tables: map[string]*event.TableDef{
			"shop.items": {DB: "shop", Table: "items", PrimaryKey: []string{"id"}, Columns: []event.Column{
				{Name: "id", DataType: "int", ColumnType: "int"},
				{Name: "name", DataType: "varchar", ColumnType: "varchar(32)", Nullable: true, Charset: "utf8mb4", Collation: "utf8mb4_0900_ai_ci"}}},
			"shop.docs": {DB: "shop", Table: "docs", PrimaryKey: []string{"id"}, Columns: []event.Column{
				{Name: "id", DataType: "int", ColumnType: "int"},
				{Name: "doc", DataType: "json", ColumnType: "json", Nullable: true}}},
		},
	}
	st := &streamer{s: s, file: m8File}
	var err error
	if st.gtidSet, err = gomysql.ParseGTIDSet("mysql", gtids); err != nil {
		t.Fatal(err)
	}
	return st
}

// feed passes events through handle and returns the first error.
func feed(st *streamer, evs []*replication.BinlogEvent) error {
	for _, ev := range evs {
		if err := st.handle(context.Background(), ev); err != nil {
			return err
		}
	}
	return nil
}

// queued returns the changes of table and the markers the publisher holds.
func queued(t *testing.T, st *streamer, table string) ([]*event.Change, []*event.TxMarker) {
	t.Helper()
	var chs []*event.Change
	for _, r := range st.s.pub.Cur.Rows[kafka.TopicPartition{Topic: st.s.topics.Table("shop", table), Partition: 0}] {
		ch, err := event.DecodeChange(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		chs = append(chs, ch)
	}
	var ms []*event.TxMarker
	for _, r := range st.s.pub.Cur.Markers {
		m, err := event.DecodeTxMarker(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return chs, ms
}

// itemsTx is (a): an insert of two rows into shop.items, GTID gno 5, as
// MySQL 8.0 logs it; compressed, its events after the GTID sit in one
// TRANSACTION_PAYLOAD_EVENT (b).
func itemsTx(t *testing.T, f *m8Binlog, compressed bool) {
	f.add(replication.GTID_EVENT, gtidBody(5))
	rows := writeItemsBody(itemRow(1, "apple"), itemRow(2, "pêche 🍑"))
	if compressed {
		f.add(replication.TRANSACTION_PAYLOAD_EVENT, payloadBody(t,
			inner(replication.QUERY_EVENT, queryBody("shop", "BEGIN")),
			inner(replication.TABLE_MAP_EVENT, tableMapBody(itemsTable)),
			inner(replication.WRITE_ROWS_EVENTv2, rows),
			inner(replication.XID_EVENT, xidBody(42))))
		return
	}
	f.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
	f.add(replication.TABLE_MAP_EVENT, tableMapBody(itemsTable))
	f.add(replication.WRITE_ROWS_EVENTv2, rows)
	f.add(replication.XID_EVENT, xidBody(42))
}

func eventTypes(evs []*replication.BinlogEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Header.EventType.String())
	}
	return strings.Join(s, " ")
}

// TestMySQL8Rows (a): an 8.0.36 binlog, with and without CRC32 checksums:
// GTID, BEGIN, table map, WRITE_ROWS_EVENTv2, XID become two inserts at
// the rows event's position, and a marker at the XID's end with the GTID
// added to the set.
func TestMySQL8Rows(t *testing.T) {
	for _, checksum := range []bool{true, false} {
		t.Run(fmt.Sprintf("crc32=%v", checksum), func(t *testing.T) {
			f := newM8Binlog("8.0.36", checksum)
			itemsTx(t, f, false)
			evs := parseBinlog(t, f.write(t, m8File))
			want := "FormatDescriptionEvent PreviousGTIDsEvent GTIDEvent QueryEvent TableMapEvent WriteRowsEventV2 XIDEvent"
			if got := eventTypes(evs); got != want {
				t.Fatalf("events %s, want %s", got, want)
			}
			if fde := evs[0].Event.(*replication.FormatDescriptionEvent); fde.ServerVersion != "8.0.36" || fde.Version != 4 {
				t.Errorf("format description: version %d server %q", fde.Version, fde.ServerVersion)
			}
			if rows := evs[5].Event.(*replication.RowsEvent).Rows; fmt.Sprint(rows) != "[[1 apple] [2 pêche 🍑]]" {
				t.Errorf("go-mysql decoded rows %v", rows)
			}
			st := m8Streamer(t, m8SIDText+":1-4")
			if err := feed(st, evs); err != nil {
				t.Fatal(err)
			}
			chs, ms := queued(t, st, "items")
			checkItems(t, chs, f.ends[4]) // the rows event starts where the table map ends
			if len(ms) != 1 || ms[0].Position != (event.Position{File: m8File, Pos: uint64(f.ends[6]), GTID: m8SIDText + ":1-5"}) || ms[0].ID != m8SIDText+":5" {
				t.Errorf("markers %+v, want one at %s:%d with GTID set %s:1-5", ms, m8File, f.ends[6], m8SIDText)
			}
		})
	}
}

// checkItems checks the two inserts of itemsTx, placed at pos.
func checkItems(t *testing.T, chs []*event.Change, pos uint32) {
	t.Helper()
	want := []string{`{"id":1,"name":"apple"}`, `{"id":2,"name":"pêche 🍑"}`}
	if len(chs) != len(want) {
		t.Fatalf("%d changes, want %d", len(chs), len(want))
	}
	for i, ch := range chs {
		after, _ := json.Marshal(ch.After)
		src := ch.Source
		if ch.Op != event.OpCreate || string(after) != want[i] || ch.Before != nil {
			t.Errorf("change %d: %s before %v after %s, want an insert of %s", i, ch.Op, ch.Before, after, want[i])
		}
		if src.File != m8File || src.Pos != pos || src.Row != i || src.GTID == nil || *src.GTID != m8SIDText+":5" || src.ServerID != m8Server {
			t.Errorf("change %d source %+v, want %s:%d row %d GTID %s:5", i, src, m8File, pos, i, m8SIDText)
		}
		if ch.Transaction.ID != m8SIDText+":5" || ch.Transaction.TotalOrder != uint64(i+1) {
			t.Errorf("change %d transaction %+v", i, ch.Transaction)
		}
	}
}

// TestMySQL8CompressedTransaction (b): the same transaction with
// binlog_transaction_compression=ON, its events after the GTID in one
// zstd-compressed TRANSACTION_PAYLOAD_EVENT, gives the same changes, each
// placed at the payload event's start, and a marker at its end.
func TestMySQL8CompressedTransaction(t *testing.T) {
	plain := newM8Binlog("8.0.36", true)
	itemsTx(t, plain, false)
	f := newM8Binlog("8.0.36", true)
	itemsTx(t, f, true)
	evs := parseBinlog(t, f.write(t, m8File))
	if got, want := eventTypes(evs), "FormatDescriptionEvent PreviousGTIDsEvent GTIDEvent TransactionPayloadEvent"; got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
	p := evs[3].Event.(*replication.TransactionPayloadEvent)
	if got, want := eventTypes(p.Events), "QueryEvent TableMapEvent WriteRowsEventV2 XIDEvent"; got != want || p.CompressionType != replication.ZSTD {
		t.Fatalf("payload (compression %d): %s, want %s", p.CompressionType, got, want)
	}
	st := m8Streamer(t, m8SIDText+":1-4")
	if err := feed(st, evs); err != nil {
		t.Fatal(err)
	}
	chs, ms := queued(t, st, "items")
	checkItems(t, chs, f.ends[2]) // the payload starts where the GTID event ends
	if len(ms) != 1 || ms[0].Position != (event.Position{File: m8File, Pos: uint64(f.ends[3]), GTID: m8SIDText + ":1-5"}) {
		t.Errorf("markers %+v, want one at the payload's end %s:%d", ms, m8File, f.ends[3])
	}

	// The uncompressed transaction, read the same way, gives the same
	// changes but for their position and the time they were read.
	pst := m8Streamer(t, m8SIDText+":1-4")
	if err := feed(pst, parseBinlog(t, plain.write(t, m8File))); err != nil {
		t.Fatal(err)
	}
	pchs, pms := queued(t, pst, "items")
	if len(pchs) != len(chs) {
		t.Fatalf("uncompressed: %d changes, compressed: %d", len(pchs), len(chs))
	}
	for i := range pchs {
		a, b := *pchs[i], *chs[i]
		a.TsMs, b.TsMs, a.Source.Pos, b.Source.Pos = 0, 0, 0, 0
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("change %d:\n uncompressed %s\n compressed   %s", i, ja, jb)
		}
	}
	if len(pms) != 1 || pms[0].Seq != ms[0].Seq || pms[0].ID != ms[0].ID {
		t.Errorf("markers: uncompressed %+v, compressed %+v", pms, ms)
	}
}

// TestMySQL8CompressedTransactionIncomplete: a payload whose events do
// not end the transaction stops the reader, naming the payload's place.
func TestMySQL8CompressedTransactionIncomplete(t *testing.T) {
	f := newM8Binlog("8.0.36", true)
	f.add(replication.GTID_EVENT, gtidBody(5))
	f.add(replication.TRANSACTION_PAYLOAD_EVENT, payloadBody(t,
		inner(replication.QUERY_EVENT, queryBody("shop", "BEGIN")),
		inner(replication.TABLE_MAP_EVENT, tableMapBody(itemsTable)),
		inner(replication.WRITE_ROWS_EVENTv2, writeItemsBody(itemRow(1, "apple")))))
	err := feed(m8Streamer(t, ""), parseBinlog(t, f.write(t, m8File)))
	var fatal *connector.Fatal
	if where := fmt.Sprintf("%s:%d", m8File, f.ends[2]); !errors.As(err, &fatal) || !strings.Contains(err.Error(), where) ||
		!strings.Contains(err.Error(), "does not end with a commit") {
		t.Errorf("got %v, want a connector.Fatal naming %s", err, where)
	}
}

// TestMySQL8PartialJSONRefused (c): a PARTIAL_UPDATE_ROWS_EVENT
// (binlog_row_value_options=PARTIAL_JSON) decodes to a JSON diff, which
// sluice refuses with the event's coordinates and the fix; nothing of the
// transaction is queued.
func TestMySQL8PartialJSONRefused(t *testing.T) {
	f := newM8Binlog("8.0.36", true)
	f.add(replication.GTID_EVENT, gtidBody(6))
	f.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
	f.add(replication.TABLE_MAP_EVENT, tableMapBody(docsTable))
	f.add(replication.PARTIAL_UPDATE_ROWS_EVENT, partialUpdateBody())
	f.add(replication.XID_EVENT, xidBody(43))
	evs := parseBinlog(t, f.write(t, m8File))
	rows := evs[5].Event.(*replication.RowsEvent).Rows
	if len(rows) != 2 || fmt.Sprint(rows[0]) != `[1 {"a":1}]` {
		t.Fatalf("go-mysql decoded %v, want the before image [1 {\"a\":1}] and an after image", rows)
	}
	if d, ok := rows[1][1].(*replication.JsonDiff); !ok || d.Op != replication.JsonDiffOperationReplace || d.Path != "$.a" || d.Value != "2" {
		t.Fatalf("after image %v, want a JSON diff replacing $.a by 2", rows[1])
	}
	st := m8Streamer(t, "")
	err := feed(st, evs)
	var fatal *connector.Fatal
	where := fmt.Sprintf("%s:%d", m8File, f.ends[4])
	if !errors.As(err, &fatal) || !strings.Contains(err.Error(), where) || !strings.Contains(err.Error(), "binlog_row_value_options=''") ||
		!strings.Contains(err.Error(), "shop.docs") {
		t.Errorf("got %v, want a connector.Fatal naming %s, shop.docs and binlog_row_value_options=''", err, where)
	}
	if chs, ms := queued(t, st, "docs"); len(chs) != 0 || len(ms) != 0 {
		t.Errorf("queued %d changes and %d markers after the refusal", len(chs), len(ms))
	}
}

// TestMySQL8TaggedGTID (d): a MySQL 8.4+ tagged GTID
// (GTID_TAGGED_LOG_EVENT; its body recorded from a 9.2 server) names the
// transaction, its rows, and joins the recorded GTID set.
func TestMySQL8TaggedGTID(t *testing.T) {
	f := newM8Binlog("8.4.0", true)
	f.add(replication.GTID_TAGGED_LOG_EVENT, m8TaggedGTIDBody)
	f.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
	f.add(replication.TABLE_MAP_EVENT, tableMapBody(itemsTable))
	f.add(replication.WRITE_ROWS_EVENTv2, writeItemsBody(itemRow(7, "tagged")))
	f.add(replication.XID_EVENT, xidBody(44))
	evs := parseBinlog(t, f.write(t, m8File))
	g, ok := evs[2].Event.(*replication.GtidTaggedLogEvent)
	if !ok {
		t.Fatalf("event 3 is %T, want a GtidTaggedLogEvent", evs[2].Event)
	}
	if next, err := g.GTIDNext(); err != nil || next.String() != m8TaggedGTID {
		t.Fatalf("tagged GTID %v (%v), want %s", next, err, m8TaggedGTID)
	}
	st := m8Streamer(t, m8SIDText+":1-5")
	if err := feed(st, evs); err != nil {
		t.Fatal(err)
	}
	chs, ms := queued(t, st, "items")
	if len(chs) != 1 || chs[0].Source.GTID == nil || *chs[0].Source.GTID != m8TaggedGTID || chs[0].Transaction.ID != m8TaggedGTID {
		t.Fatalf("changes %+v, want one with GTID %s", chs, m8TaggedGTID)
	}
	if len(ms) != 1 || ms[0].ID != m8TaggedGTID || ms[0].Position.Pos != uint64(f.ends[6]) ||
		!strings.Contains(ms[0].Position.GTID, "896e7882-18fe-11ef-ab88-22222d34d411:foobaz:1") ||
		!strings.Contains(ms[0].Position.GTID, m8SIDText+":1-5") {
		t.Errorf("markers %+v, want one at %d whose GTID set holds %s and %s:1-5", ms, f.ends[6], m8TaggedGTID, m8SIDText)
	}
	// The recorded set reads back as it was written: a restart resumes from it.
	if set, err := gomysql.ParseGTIDSet("mysql", ms[0].Position.GTID); err != nil || set.String() != ms[0].Position.GTID {
		t.Errorf("recorded GTID set %q reads back as %v (%v)", ms[0].Position.GTID, set, err)
	}
}

// TestThreadNotStale: a transaction without a BEGIN query event (MariaDB
// writes none: its GTID event stands for BEGIN) must not carry the thread
// of the query event before it; one with a BEGIN carries BEGIN's thread.
func TestThreadNotStale(t *testing.T) {
	f := newM8Binlog("8.0.36", true)
	itemsTx(t, f, false) // GTID 5, BEGIN from thread 77, two rows, XID
	f.add(replication.GTID_EVENT, gtidBody(6))
	f.add(replication.TABLE_MAP_EVENT, tableMapBody(itemsTable))
	f.add(replication.WRITE_ROWS_EVENTv2, writeItemsBody(itemRow(3, "pear")))
	f.add(replication.XID_EVENT, xidBody(43))
	st := m8Streamer(t, m8SIDText+":1-4")
	if err := feed(st, parseBinlog(t, f.write(t, m8File))); err != nil {
		t.Fatal(err)
	}
	chs, _ := queued(t, st, "items")
	if len(chs) != 3 {
		t.Fatalf("%d changes, want 3", len(chs))
	}
	for i, ch := range chs[:2] {
		if ch.Source.Thread == nil || *ch.Source.Thread != 77 {
			t.Errorf("change %d of the transaction with BEGIN: thread %v, want 77", i, ch.Source.Thread)
		}
	}
	if th := chs[2].Source.Thread; th != nil {
		t.Errorf("change of the transaction without BEGIN: thread %d, want none (not the previous BEGIN's)", *th)
	}
}
