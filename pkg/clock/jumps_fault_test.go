//go:build sluicefault

package clock

import (
	"testing"
	"time"
)

func TestParseJumps(t *testing.T) {
	j, err := parseJumps("8s:-2h, 3s:+1h,13s:1h")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		elapsed time.Duration
		want    time.Duration
	}{{0, 0}, {3 * time.Second, time.Hour}, {9 * time.Second, -time.Hour}, {time.Minute, 0}}
	for _, c := range cases {
		if got := jumpsOffset(j, c.elapsed); got != c.want {
			t.Errorf("offset after %v: %v, want %v", c.elapsed, got, c.want)
		}
	}
	for _, bad := range []string{"3s", "x:+1h", "3s:1 hour"} {
		if _, err := parseJumps(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestHookReadsEnv: the sluicefault build reads the schedule from EnvJumps.
func TestHookReadsEnv(t *testing.T) {
	t.Setenv(EnvJumps, "3s:+1h")
	if j := testJumps(); len(j) != 1 || j[0] != (jump{3 * time.Second, time.Hour}) {
		t.Errorf("testJumps with %s=3s:+1h: %v", EnvJumps, j)
	}
}
