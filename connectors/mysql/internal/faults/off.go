//go:build !sluicefault

package faults

// The production build: every hook does nothing and reads no environment.

// ExitHook is the fault suite's exit after a Kafka acknowledgement; here a
// no-op.
type ExitHook struct{}

// NewExitHook returns nil: there is no hook to arm.
func NewExitHook() *ExitHook { return nil }

// Acked does nothing.
func (h *ExitHook) Acked(txs int, open bool) {}

// SnapshotChunkDelay is zero: snapshots are never slowed.
const SnapshotChunkDelay = 0

// SinkExitAt does nothing.
func SinkExitAt(step string) {}

// CrashAfterDDL does nothing.
func CrashAfterDDL() {}

// LegacyTopics is false: the source names topics as this version does.
const LegacyTopics = false

// RefusedTopic refuses no topic.
func RefusedTopic(topic string) error { return nil }
