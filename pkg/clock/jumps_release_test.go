//go:build !sluicefault

package clock

import "testing"

// TestHookNotCompiled: a release build ignores EnvJumps.
func TestHookNotCompiled(t *testing.T) {
	t.Setenv(EnvJumps, "0s:+1h")
	if j := testJumps(); j != nil {
		t.Errorf("testJumps without -tags sluicefault: %v, want none", j)
	}
}
