package mysql

import (
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestBinlogBehind(t *testing.T) {
	logs := []binlogFile{{"b.000001", 1000}, {"b.000002", 500}, {"b.000003", 300}}
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
		if got := binlogBehind(logs, c.at); got != c.want {
			t.Errorf("binlogBehind at %v = %d, want %d", c.at, got, c.want)
		}
	}
}

func TestRateMeter(t *testing.T) {
	var r rateMeter
	if got := r.Rate(); got != 0 {
		t.Errorf("empty rate = %v", got)
	}
	r.samples[0].at = time.Now().Add(-2 * time.Second) // as if started 2s ago
	r.Add(100)
	if got := r.Rate(); got < 45 || got > 55 {
		t.Errorf("100 events over 2s: rate %v, want about 50", got)
	}
	// Samples older than the window stop counting.
	r.samples = []rateSample{{time.Now().Add(-time.Minute), 0}, {time.Now().Add(-30 * time.Second), r.total}}
	if got := r.Rate(); got != 0 {
		t.Errorf("rate with no events in the window = %v", got)
	}
}

func TestSnapProgress(t *testing.T) {
	p := snapProgress{start: time.Now().Add(-10 * time.Second), done: 1000, total: 4000, table: "shop.a"}
	d, ok := p.left()
	if !ok || d < 29*time.Second || d > 31*time.Second {
		t.Errorf("left = %v %v, want about 30s", d, ok)
	}
	st := p.status()
	if st.State != "running" || st.SecondsLeft == nil || st.Table != "shop.a" {
		t.Errorf("status = %+v", st)
	}
	p.finished = true
	if st := p.status(); st.State != "done" || st.SecondsLeft != nil {
		t.Errorf("finished status = %+v", st)
	}
}
