package clock

import (
	"sync"
	"time"
)

// EnvJumps names the test schedule of wall-clock steps. Only a binary
// built with -tags sluicefault reads it (jumps_fault.go); a release build
// ignores it.
const EnvJumps = "SLUICE_TEST_CLOCK_JUMPS"

var (
	start = time.Now() // monotonic origin of the jump schedule and Steady
	base  = start.Round(0)
	jumps []jump // sorted by after
)

type jump struct {
	after time.Duration
	step  time.Duration
}

func init() {
	if j := testJumps(); len(j) > 0 {
		base = base.Add(jumpsOffset(j, 0))
		jumps = j
	}
}

// jumpsOffset is the sum of the steps due by elapsed.
func jumpsOffset(j []jump, elapsed time.Duration) time.Duration {
	var off time.Duration
	for _, x := range j {
		if x.after > elapsed {
			break
		}
		off += x.step
	}
	return off
}

// Now returns the host's wall-clock time without a monotonic reading.
func Now() time.Time {
	now := time.Now()
	return now.Round(0).Add(jumpsOffset(jumps, now.Sub(start)))
}

// Steady returns the wall-clock time as read at process start, advanced by
// the monotonic clock since; it has no monotonic reading.
func Steady() time.Time { return base.Add(time.Since(start)) }

// Since returns how long ago the wall-clock time t (stamped elsewhere: a
// binlog event header, a marker) was, on the Steady clock, never negative.
func Since(t time.Time) time.Duration { return max(Steady().Sub(t.Round(0)), 0) }

// Step returns how far the host's wall clock moved away from Steady since
// the process started: 0 without a step, +1h after a step of +1h.
func Step() time.Duration { return Now().Sub(Steady()) }

var warned struct {
	sync.Mutex
	step time.Duration
}

// NewStep returns the current Step and true when it differs by more than a
// second from the one last reported, for a caller that logs it once.
func NewStep() (time.Duration, bool) {
	s := Step()
	warned.Lock()
	defer warned.Unlock()
	if d := s - warned.step; d > -time.Second && d < time.Second {
		return s, false
	}
	warned.step = s
	return s, true
}
