//go:build sluicefault

package faults

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// ExitHook lets the fault tests end the source process in the window
// between Kafka acknowledging a flush and the position being recorded,
// which a SIGKILL from outside hits only by chance.
//
// When SLUICE_TEST_EXIT_AFTER_ACK names a file that exists, its content
// arms the hook: "N" exits with status 3 once Kafka acknowledged the Nth
// transaction (counted from when the file was first seen); "mid" exits
// once Kafka acknowledged rows of a transaction the reader has not
// finished reading (a kill in the middle of a multi-statement
// transaction). The file is removed before the exit, so a restarted
// process runs on until the test arms it again. Without the variable the
// hook costs one string comparison per batch.
type ExitHook struct {
	path  string
	armed bool
	left  int  // transactions still to acknowledge
	mid   bool // exit on a flush inside an open transaction
}

// NewExitHook returns the hook armed by SLUICE_TEST_EXIT_AFTER_ACK.
func NewExitHook() *ExitHook { return &ExitHook{path: os.Getenv("SLUICE_TEST_EXIT_AFTER_ACK")} }

// acked is called for each batch Kafka acknowledged, before the position
// moves past it, with the number of transactions it completed and whether
// it holds rows of a transaction the reader has not finished reading.
func (h *ExitHook) Acked(txs int, open bool) {
	if h == nil || h.path == "" {
		return
	}
	if !h.armed {
		b, err := os.ReadFile(h.path)
		if err != nil {
			return
		}
		s := strings.TrimSpace(string(b))
		h.armed, h.mid = true, s == "mid"
		if !h.mid {
			h.left, _ = strconv.Atoi(s)
		}
		if !h.mid {
			return // counting starts with the next flush
		}
	}
	if h.mid && !open {
		return
	}
	if !h.mid {
		h.left -= txs
		if h.left > 0 {
			return
		}
	}
	_ = os.Remove(h.path)
	os.Exit(3)
}

// SnapshotChunkDelay slows the initial snapshot by a pause after each chunk
// it publishes, so that a test can kill the process in the middle of a
// snapshot that would otherwise end before the kill lands. It is
// SLUICE_TEST_SNAPSHOT_CHUNK_DELAY (a Go duration); zero without it.
var SnapshotChunkDelay = func() time.Duration {
	d, _ := time.ParseDuration(os.Getenv("SLUICE_TEST_SNAPSHOT_CHUNK_DELAY"))
	return d
}()

// sinkExitPath lets the tests end the sink process between the steps of a
// workers' batch (sink_workers.go), a window a SIGKILL from outside hits
// only by chance. When SLUICE_TEST_SINK_EXIT_AT names a file whose
// content is a step's name ("prepared": every branch prepared, the offsets
// not committed; "decided": the offsets committed, no branch committed),
// sinkExitAt at that step removes the file and exits with status 3.
var sinkExitPath = os.Getenv("SLUICE_TEST_SINK_EXIT_AT")

// SinkExitAt exits when SLUICE_TEST_SINK_EXIT_AT names step (see above).
func SinkExitAt(step string) {
	if sinkExitPath == "" {
		return
	}
	b, err := os.ReadFile(sinkExitPath)
	if err != nil || strings.TrimSpace(string(b)) != step {
		return
	}
	_ = os.Remove(sinkExitPath)
	os.Exit(3)
}

// CrashAfterDDL lets a test kill the process between running a DDL on the
// replica and committing the offsets past it, the window record-then-detect
// covers: when SLUICE_TEST_EXIT_AFTER_DDL names a file that does not exist,
// it creates the file and exits with status 3.
func CrashAfterDDL() {
	p := os.Getenv("SLUICE_TEST_EXIT_AFTER_DDL")
	if p == "" {
		return
	}
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) && os.WriteFile(p, nil, 0o644) == nil {
		os.Exit(3)
	}
}

// LegacyTopics makes the source behave as versions before per-source topic
// names did, for the upgrade test: table topics "<pipeline>.<db>.<table>"
// and schema history records without a topic. It is set by
// SLUICE_TEST_LEGACY_TOPICS.
var LegacyTopics = os.Getenv("SLUICE_TEST_LEGACY_TOPICS") != ""

// RefusedTopic makes the broker's refusal of a topic name testable with the
// embedded broker, which takes every name: a topic whose name contains
// SLUICE_TEST_REFUSE_TOPICS is refused as an external Kafka would refuse
// an invalid name.
func RefusedTopic(topic string) error {
	if s := os.Getenv("SLUICE_TEST_REFUSE_TOPICS"); s != "" && strings.Contains(topic, s) {
		return errors.New("invalid topic name (refused by SLUICE_TEST_REFUSE_TOPICS)")
	}
	return nil
}
