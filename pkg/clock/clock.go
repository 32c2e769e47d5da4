// Package clock is where sluice reads the wall clock for values that leave
// the process or are compared with another machine's clock: envelope and
// marker ts_ms, replication lag, status announcements. Everything else
// measures durations with time.Now and time.Since, whose monotonic reading
// a step of the host's clock (NTP, an operator's date -s) does not move.
//
// Nothing that orders or deduplicates changes reads a clock: order is the
// binlog-derived Seq and the Kafka offsets, the source's checkpoint is
// chosen by leader epoch, the sink's by its replica transaction.
//
// Two readings:
//   - Now is the host's wall clock, as time.Now without the monotonic
//     reading: a step shows in it, as it does in any timestamp written down.
//   - Steady is the wall clock read once when the process first asked,
//     advanced by the monotonic clock since: a step of the host's clock
//     while sluice runs does not move it. Lag (a local time minus a time
//     stamped by the source server) is measured on it, so a step neither
//     makes it negative nor adds the step to it. Step tells how far the
//     host clock moved away from it; a process restarted after a step
//     measures against the new clock.
//
// For the fault tests, SLUICE_TEST_CLOCK_JUMPS shifts Now (never Steady, nor
// the monotonic clock, which a real step does not move either) by a
// schedule: a comma-separated list of AFTER:STEP, each STEP (a Go duration
// with its sign, "+1h", "-2h") added to the offset once AFTER (a duration)
// has passed since the process started, e.g. "3s:+1h,8s:-2h". Go reads the
// clock through the vDSO, so libfaketime cannot do this from outside.
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
