package report

import (
	"testing"
	"time"
)

func TestRateMeter(t *testing.T) {
	var r RateMeter
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
