//go:build !sluicefault

package clock

// testJumps is the release build's twin of the test hook in
// jumps_fault.go: no schedule, whatever EnvJumps holds.
func testJumps() []jump { return nil }
