package catalog

import (
	"reflect"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestTableFilter(t *testing.T) {
	f := Filter{"shop.*", "crm.cust?mers", "*.audit_log"}
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

func TestBinlogColumnsSkipsVirtual(t *testing.T) {
	def := &event.TableDef{Columns: []event.Column{{Name: "a"}, {Name: "v", Generated: "a+1"}, {Name: "s", Generated: "a+2", Stored: true}}}
	if idx, ok := BinlogColumns(def, 3); !ok || !reflect.DeepEqual(idx, []int{0, 1, 2}) {
		t.Errorf("full image: %v %v", idx, ok)
	}
	if idx, ok := BinlogColumns(def, 2); !ok || !reflect.DeepEqual(idx, []int{0, 2}) {
		t.Errorf("without virtual: %v %v", idx, ok)
	}
	if _, ok := BinlogColumns(def, 1); ok {
		t.Error("a column count matching nothing was accepted")
	}
}
