package event

import (
	"strings"
	"testing"
)

// TestCheckTable: tables whose topic would be shared with another table,
// or refused by Kafka, are named with the reason; ordinary names pass.
func TestCheckTable(t *testing.T) {
	tp := Topics{Pipeline: "p", Source: "src"}
	for _, c := range []struct {
		db, table, want string
	}{
		{"shop", "orders", ""},
		{"shop_order", "items-2", ""},
		{"x", "y.z", ""}, // unambiguous while no database holds a '.'
		{"x.y", "z", "'.' in a database name"},
		{"shop", strings.Repeat("ü", 64), "135 bytes (391 URL-escaped)"},
		{"shop", "odd`t'b\"ü", ""}, // the embedded broker takes it; a Kafka that refuses it is named then
		{"shop", strings.Repeat("t", 240), ""},
		{"shop", strings.Repeat("t", 245), "allow 249"},
	} {
		err := tp.CheckTable(c.db, c.table)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s.%s: %v, want none", c.db, c.table, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s.%s: %v, want an error with %q", c.db, c.table, err, c.want)
		}
	}
}
