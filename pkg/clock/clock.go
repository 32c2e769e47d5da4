package clock

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// EnvJumps names the test schedule of wall-clock steps.
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
	j, err := parseJumps(os.Getenv(EnvJumps))
	if err != nil {
		fmt.Fprintf(os.Stderr, "sluice: ignoring %s: %v\n", EnvJumps, err)
		return
	}
	if len(j) > 0 {
		offset := jumpsOffset(j, 0)
		base = base.Add(offset)
		jumps = j
	}
}

// parseJumps reads an AFTER:STEP,... schedule.
func parseJumps(s string) ([]jump, error) {
	var out []jump
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("%q: want AFTER:STEP, e.g. 3s:+1h", part)
		}
		after, err := time.ParseDuration(a)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		step, err := time.ParseDuration(strings.TrimPrefix(b, "+"))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		out = append(out, jump{after, step})
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].after < out[k].after })
	return out, nil
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
