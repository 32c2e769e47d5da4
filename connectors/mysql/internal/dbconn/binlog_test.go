package dbconn

import (
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestBinlogBehind(t *testing.T) {
	logs := []BinlogFile{{"b.000001", 1000}, {"b.000002", 500}, {"b.000003", 300}}
	for _, c := range []struct {
		at   event.Position
		want int64
	}{
		{event.Position{File: "b.000003", Pos: 300}, 0},
		{event.Position{File: "b.000003", Pos: 100}, 200},
		{event.Position{File: "b.000002", Pos: 400}, 100 + 300},
		{event.Position{File: "b.000001", Pos: 4}, 996 + 500 + 300},
		{event.Position{File: "b.000000", Pos: 4}, -1}, // purged
		{event.Position{}, -1},
	} {
		if got := BinlogBehind(logs, c.at); got != c.want {
			t.Errorf("binlogBehind at %v = %d, want %d", c.at, got, c.want)
		}
	}
}
