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
// For the fault tests, a binary built with -tags sluicefault (as the
// end-to-end harness, pkg/testutil/e2e, builds it) reads
// SLUICE_TEST_CLOCK_JUMPS, which shifts Now (never Steady, nor
// the monotonic clock, which a real step does not move either) by a
// schedule: a comma-separated list of AFTER:STEP, each STEP (a Go duration
// with its sign, "+1h", "-2h") added to the offset once AFTER (a duration)
// has passed since the process started, e.g. "3s:+1h,8s:-2h". Go reads the
// clock through the vDSO, so libfaketime cannot do this from outside.
package clock
