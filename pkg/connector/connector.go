// Package connector defines what the runtime asks of a connector and what it
// hands to one. Implementations live under connectors/ and are listed in
// connectors.Builtin.
package connector

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// Env is what the runtime gives every connector.
type Env struct {
	Config  *config.Config // the whole file, for cross-references (a sink's source)
	Kafka   *kafka.Client
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

// Connector is a running source or sink.
type Connector interface {
	// Run works until ctx is done, then returns nil, or until it fails, then
	// returns an error naming what failed and where (table, position,
	// topic/partition/offset). Everything acknowledged before the error is
	// recorded; nothing after it is. Run is called at most once per value;
	// the runtime builds a new Connector to retry.
	Run(ctx context.Context) error
	// Ready returns nil while the connector is connected and streaming, or
	// why not. It is safe to call concurrently with Run.
	Ready() error
}

// Factory builds a connector from its entry of the config file, whose Spec
// is the config its Type's Kind made (config.Load did). It does no I/O.
type Factory func(cfg *config.Connector, env Env) (Connector, error)

// Fatal marks an error that retrying cannot fix (a server setting, a
// missing table): the runtime stops instead of retrying.
type Fatal struct{ Err error }

func (f *Fatal) Error() string { return f.Err.Error() }
func (f *Fatal) Unwrap() error { return f.Err }

// IsFatal reports whether err is, or wraps, a *Fatal.
func IsFatal(err error) bool {
	var f *Fatal
	return errors.As(err, &f)
}

// Readiness holds what Ready reports. The zero value reports "starting".
// It is safe for concurrent use; embed it to implement Ready.
type Readiness struct{ p atomic.Pointer[error] }

// SetReady records nil (ready) or why the connector is not ready.
func (r *Readiness) SetReady(err error) { r.p.Store(&err) }

// Ready returns what SetReady recorded last.
func (r *Readiness) Ready() error {
	if p := r.p.Load(); p != nil {
		return *p
	}
	return errStarting
}

var errStarting = errors.New("starting")
