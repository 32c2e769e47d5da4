package clock

import (
	"testing"
	"time"
)

// TestSteadyIgnoresSteps: a step of Now moves Step, not Steady or Since.
func TestSteadyIgnoresSteps(t *testing.T) {
	defer func(j []jump) { jumps = j }(jumps)
	jumps = []jump{{0, time.Hour}}
	if s := Step(); s < time.Hour-time.Second || s > time.Hour+time.Second {
		t.Errorf("Step after a +1h jump: %v", s)
	}
	past := time.Now().Add(-2 * time.Second)
	if d := Since(past); d < 2*time.Second || d > 3*time.Second {
		t.Errorf("Since 2s ago after a +1h jump: %v", d)
	}
	if d := Since(time.Now().Add(time.Hour)); d != 0 {
		t.Errorf("Since a future time: %v, want 0", d)
	}
	if _, ok := NewStep(); !ok {
		t.Errorf("NewStep did not report the +1h step")
	}
	if _, ok := NewStep(); ok {
		t.Errorf("NewStep reported the same step twice")
	}
}
