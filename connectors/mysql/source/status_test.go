package source

import (
	"testing"
	"time"
)

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
