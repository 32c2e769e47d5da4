//go:build sluicefault

package clock

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// testJumps reads the schedule in EnvJumps. This file is only compiled
// with -tags sluicefault, the build the end-to-end fault tests run, so a
// release binary cannot be made to step its clock by its environment.
func testJumps() []jump {
	j, err := parseJumps(os.Getenv(EnvJumps))
	if err != nil {
		fmt.Fprintf(os.Stderr, "sluice: ignoring %s: %v\n", EnvJumps, err)
		return nil
	}
	return j
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
