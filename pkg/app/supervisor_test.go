package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// flaky fails every run at once; its checkpoint (Status) moves on in each
// of the first `moving` runs and then stays.
type flaky struct {
	connector.Readiness
	run    int
	moving int
}

func (f *flaky) Run(ctx context.Context) error { return errors.New("replica went away") }

func (f *flaky) Status(ctx context.Context) connector.Status {
	pos := min(f.run, f.moving)
	return connector.Status{Position: &connector.Position{File: "bin.000001", Pos: uint32(pos)}}
}

// retrySpec is the config of the flaky type: only its retry settings.
type retrySpec struct{ retry config.Retry }

func (r retrySpec) Keys(*config.Decoder) config.Keys { return nil }
func (r retrySpec) Defaults(*config.Scope)           {}
func (r retrySpec) Validate(*config.Scope)           {}
func (r retrySpec) RetrySettings() config.Retry      { return r.retry }

// TestRetryCountsFailuresWithoutProgress: retry.max_attempts counts the
// failures in a row without progress; a failure after the checkpoint moved
// starts the count anew, so a pipeline that keeps working through
// occasional failures is not stopped.
func TestRetryCountsFailuresWithoutProgress(t *testing.T) {
	b, err := kafka.StartEmbedded(kafka.EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := &config.Config{Name: "p"}
	c := &config.Connector{Name: "s", Type: "flaky-sink", Role: config.RoleSink,
		Spec: retrySpec{config.Retry{MaxAttempts: 3, MaxBackoff: 5 * time.Millisecond}}}
	runs := 0
	reg := connector.Registry{"flaky-sink": {New: func(*config.Connector, connector.Env) (connector.Connector, error) {
		runs++
		return &flaky{run: runs, moving: 6}, nil
	}}}
	env := connector.Env{Config: cfg, Kafka: kafka.NewClient([]string{b.Addr()}, 1, 1<<20), Metrics: metrics.New(), Logger: slog.New(slog.DiscardHandler)}
	sup := newSupervisor(reg, env, env.Logger, []*config.Connector{c})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = sup.run(ctx, c)
	if !connector.IsFatal(err) {
		t.Fatalf("run: %v, want a fatal error after the retries", err)
	}
	// Runs 1-6 each moved the checkpoint; 7 and 8 did not: the third
	// failure without progress (runs 6, 7, 8) gives up.
	if runs != 8 {
		t.Errorf("gave up after %d runs, want 8 (%v)", runs, err)
	}
	if want := fmt.Sprintf("after %d failed attempts", 3); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}
