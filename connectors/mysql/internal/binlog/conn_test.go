package binlog

import (
	"net"
	"testing"
	"time"
)

type deadlineRecorder struct {
	net.Conn
	set []time.Time
}

func (r *deadlineRecorder) SetReadDeadline(t time.Time) error {
	r.set = append(r.set, t)
	return nil
}

// TestCoarseDeadline: a later read deadline is passed on only once it is a
// second past the one in force; an earlier one, or none, at once.
func TestCoarseDeadline(t *testing.T) {
	rec := &deadlineRecorder{}
	c := &coarseDeadlineConn{Conn: rec}
	t0 := time.Now()
	steps := []struct {
		at   time.Time
		pass bool
	}{
		{t0.Add(30 * time.Second), true}, // the first
		{t0.Add(30*time.Second + 300*time.Millisecond), false},
		{t0.Add(30*time.Second + 900*time.Millisecond), false},
		{t0.Add(31 * time.Second), true},        // a second later
		{t0.Add(100 * time.Millisecond), true},  // earlier: unblock a read now
		{t0.Add(200 * time.Millisecond), false}, // later by less than a second
		{time.Time{}, true},                     // none
		{t0.Add(time.Second), true},             // the first after none
	}
	want := 0
	for i, s := range steps {
		if err := c.SetReadDeadline(s.at); err != nil {
			t.Fatal(err)
		}
		if s.pass {
			want++
		}
		if len(rec.set) != want || (s.pass && !rec.set[want-1].Equal(s.at)) {
			t.Fatalf("step %d (%v): passed on %v, want %d deadlines ending with this one", i, s.at.Sub(t0), rec.set, want)
		}
	}
}
