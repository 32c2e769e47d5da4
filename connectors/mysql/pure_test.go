package mysql

import (
	"reflect"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestTableFilter(t *testing.T) {
	f := tableFilter{"shop.*", "crm.cust?mers", "*.audit_log"}
	cases := []struct {
		db, table string
		want      bool
	}{
		{"shop", "orders", true},
		{"shop", "", true},
		{"crm", "customers", true},
		{"crm", "custoomers", false},
		{"billing", "audit_log", true},
		{"billing", "invoices", false},
		{"mysql", "audit_log", false}, // system schemas never
		{"information_schema", "audit_log", false},
	}
	for _, c := range cases {
		if got := f.Match(c.db, c.table); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.db, c.table, got, c.want)
		}
	}
}

func TestAfterKey(t *testing.T) {
	if got := afterKey([]string{"`a`"}); got != "((`a` > ?))" {
		t.Errorf("one column: %s", got)
	}
	want := "((`a` > ?) OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c` > ?))"
	if got := afterKey([]string{"`a`", "`b`", "`c`"}); got != want {
		t.Errorf("three columns:\n got %s\nwant %s", got, want)
	}
	if got := expandAfterKey([]any{1, 2, 3}); !reflect.DeepEqual(got, []any{1, 1, 2, 1, 2, 3}) {
		t.Errorf("args: %v", got)
	}
}

func TestBinlogColumnsSkipsVirtual(t *testing.T) {
	def := &event.TableDef{Columns: []event.Column{{Name: "a"}, {Name: "v", Generated: "a+1"}, {Name: "s", Generated: "a+2", Stored: true}}}
	if idx, ok := binlogColumns(def, 3); !ok || !reflect.DeepEqual(idx, []int{0, 1, 2}) {
		t.Errorf("full image: %v %v", idx, ok)
	}
	if idx, ok := binlogColumns(def, 2); !ok || !reflect.DeepEqual(idx, []int{0, 2}) {
		t.Errorf("without virtual: %v %v", idx, ok)
	}
	if _, ok := binlogColumns(def, 1); ok {
		t.Error("a column count matching nothing was accepted")
	}
}

func TestQuoteIdent(t *testing.T) {
	if got := quoteTable("we`ird", "t"); got != "`we``ird`.`t`" {
		t.Errorf("quoteTable = %s", got)
	}
}

func TestWithSinkParams(t *testing.T) {
	if got := withSinkParams("u@tcp(h:1)/"); got != "u@tcp(h:1)/?foreign_key_checks=0&interpolateParams=true" {
		t.Error(got)
	}
	if got := withSinkParams("u@tcp(h:1)/?tls=false"); got != "u@tcp(h:1)/?tls=false&foreign_key_checks=0&interpolateParams=true" {
		t.Error(got)
	}
	// The operator's choice stands (prepared statements with interpolateParams=false).
	if got := withSinkParams("u@tcp(h:1)/?interpolateParams=false"); got != "u@tcp(h:1)/?interpolateParams=false&foreign_key_checks=0" {
		t.Error(got)
	}
}
