package source

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// TestSequenceLayout: a sequence's row is recognised by its eight NOT NULL
// columns; a table of other types, or with a nullable column, is not one.
func TestSequenceLayout(t *testing.T) {
	seq := []byte{mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG,
		mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_LONGLONG}
	if !sequenceLayout(&replication.TableMapEvent{ColumnType: seq, ColumnCount: 8, NullBitmap: []byte{0}}) {
		t.Error("a sequence's layout is not recognised")
	}
	if sequenceLayout(&replication.TableMapEvent{ColumnType: seq, ColumnCount: 8, NullBitmap: []byte{0x80}}) {
		t.Error("a table with a nullable eighth column is taken for a sequence")
	}
	if sequenceLayout(&replication.TableMapEvent{ColumnType: seq[:7], ColumnCount: 7, NullBitmap: []byte{0}}) || sequenceLayout(nil) {
		t.Error("a seven-column table is taken for a sequence")
	}
}
