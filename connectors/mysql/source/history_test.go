package source

import (
	"testing"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestVersionsAt(t *testing.T) {
	rec := func(seq uint64, table string, dropped bool, col string) *event.SchemaRecord {
		r := &event.SchemaRecord{Seq: event.MakeSeq(1, seq, 0), Table: event.TableDef{DB: "shop", Table: table}, Dropped: dropped}
		if !dropped {
			r.Table.Columns = []event.Column{{Name: col}}
		}
		return r
	}
	recs := []*event.SchemaRecord{
		rec(5, "t", false, "v1"),
		rec(10, "t", false, "v2"),
		rec(20, "t", false, "v3"),  // after the restart position: not yet in force
		rec(10, "t", false, "v2"),  // written again by a restarted reader
		rec(12, "u", true, ""),     // CREATE OR REPLACE: dropped, then made again
		rec(12, "u", false, "new"), //
		rec(15, "w", false, "x"),
		rec(16, "w", true, ""),
	}
	best, _ := versionsAt(recs, event.MakeSeq(1, 18, 0))
	if c := best["shop.t"].Table.Columns[0].Name; c != "v2" {
		t.Errorf("shop.t at 18 has %s, want v2", c)
	}
	if b := best["shop.u"]; b.Dropped || b.Table.Columns[0].Name != "new" {
		t.Errorf("shop.u at 18: %+v", b)
	}
	if !best["shop.w"].Dropped {
		t.Errorf("shop.w at 18 not dropped")
	}
	if best, _ = versionsAt(recs, event.MakeSeq(1, 10, 0)); best["shop.t"].Table.Columns[0].Name != "v1" || best["shop.u"] != nil {
		t.Errorf("at 10: %+v", best)
	}
}

// TestDatabasesAt: a history rebuilt at a position takes each database's
// defaults from the last record before it, whatever the server says now.
func TestDatabasesAt(t *testing.T) {
	rec := func(seq uint64, name, cs, co string) *event.SchemaRecord {
		return &event.SchemaRecord{Seq: event.MakeSeq(1, seq, 0), Statement: "CREATE DATABASE ...",
			Database: &event.DatabaseDef{Name: name, Charset: cs, Collation: co}, Dropped: cs == ""}
	}
	recs := []*event.SchemaRecord{
		rec(5, "a", "latin1", ""),
		rec(10, "a", "utf8mb4", "utf8mb4_unicode_ci"),
		rec(20, "a", "ascii", "ascii_bin"), // after the position: not yet in force
		rec(8, "b", "cp1251", ""),
		rec(9, "b", "", ""), // dropped
		rec(30, "c", "utf8mb3", ""),
	}
	s := &Source{schema: catalog.NewState(catalog.Filter{"*.*"}, true, map[string]*event.TableDef{})}
	s.schema.Charsets["a"], s.schema.Charsets["b"], s.schema.Charsets["c"], s.schema.Charsets["d"] = "ascii", "ascii", "ascii", "koi8r" // the server's now
	s.databasesAt(recs, event.MakeSeq(1, 15, 0))
	for db, want := range map[string]string{"a": "utf8mb4/utf8mb4_unicode_ci", "b": "/", "c": "ascii/", "d": "koi8r/"} {
		if got := s.schema.Charsets[db] + "/" + s.schema.Collations[db]; got != want {
			t.Errorf("database %s at 15: %s, want %s", db, got, want)
		}
	}
	// Recorded in full at the start (records without a statement): a
	// database without a record at 15 did not exist there.
	for _, r := range recs {
		if r.Seq.Less(event.MakeSeq(1, 9, 0)) {
			r.Statement = ""
		} else {
			r.Statement = "ALTER DATABASE ..."
		}
	}
	s.schema.Charsets["c"], s.schema.Charsets["d"] = "ascii", "koi8r"
	s.databasesAt(recs, event.MakeSeq(1, 15, 0))
	for db, want := range map[string]string{"a": "utf8mb4/utf8mb4_unicode_ci", "b": "/", "c": "/", "d": "/"} {
		if got := s.schema.Charsets[db] + "/" + s.schema.Collations[db]; got != want {
			t.Errorf("database %s at 15, recorded in full: %s, want %s", db, got, want)
		}
	}
}
