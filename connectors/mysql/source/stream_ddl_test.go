package source

import (
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestCheckTableMap(t *testing.T) {
	ss := catalog.NewState(catalog.Filter{"shop.*"}, true, map[string]*event.TableDef{})
	ss.ServerCharset = "latin1"
	stmt, err := catalog.ParseSQL("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b DECIMAL(10,2))")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Apply(stmt[0], "shop"); err != nil {
		t.Fatal(err)
	}
	def := ss.Tables["shop.t"]
	idx := []int{0, 1, 2}
	tm := func(names []string, types []byte) *replication.TableMapEvent {
		e := &replication.TableMapEvent{ColumnType: types}
		for _, n := range names {
			e.ColumnName = append(e.ColumnName, []byte(n))
		}
		return e
	}
	// MYSQL_TYPE_LONG 3, VARCHAR 15, NEWDECIMAL 246.
	if err := checkTableMap(def, idx, tm([]string{"id", "a", "b"}, []byte{3, 15, 246})); err != nil {
		t.Errorf("matching table map: %v", err)
	}
	if err := checkTableMap(def, idx, tm(nil, []byte{3, 15, 246})); err != nil {
		t.Errorf("table map without names (binlog_row_metadata=MINIMAL): %v", err)
	}
	signed := tm([]string{"id", "a", "b"}, []byte{3, 15, 246})
	signed.SignednessBitmap = []byte{0x00}
	if err := checkTableMap(def, idx, signed); err != nil {
		t.Errorf("matching signedness: %v", err)
	}
	unsigned := tm([]string{"id", "a", "b"}, []byte{3, 15, 246})
	unsigned.SignednessBitmap = []byte{0x80} // id unsigned
	for _, bad := range []*replication.TableMapEvent{
		unsigned,
		tm([]string{"id", "b", "a"}, []byte{3, 246, 15}),
		tm([]string{"id", "a"}, []byte{3, 15}),
		tm([]string{"id", "a", "b"}, []byte{3, 3, 246}),
	} {
		err := checkTableMap(def, idx, bad)
		if err == nil || !strings.Contains(err.Error(), "shop.t") {
			t.Errorf("mismatch %v not reported with the table name: %v", bad.ColumnNameString(), err)
		}
	}
}
