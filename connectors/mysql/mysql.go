package mysql

import (
	"context"

	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/connectors/mysql/verify"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// NewSource builds a mysql-source (package source); it does no I/O.
func NewSource(cfg *config.Connector, env connector.Env) (connector.Connector, error) {
	return source.New(cfg, env)
}

// NewSink builds a mysql-sink (package sink) that can also be verified
// against its source (package verify); it does no I/O.
func NewSink(cfg *config.Connector, env connector.Env) (connector.Connector, error) {
	s, err := sink.New(cfg, env)
	if err != nil {
		return nil, err
	}
	return &verifiedSink{Sink: s.(*sink.Sink), cfg: cfg, env: env}, nil
}

// verifiedSink is a mysql-sink with verify: the sink package applies, the
// verify package compares, and neither imports the other's role.
type verifiedSink struct {
	*sink.Sink
	cfg *config.Connector
	env connector.Env
}

var _ connector.Verifier = (*verifiedSink)(nil)

// Verify implements connector.Verifier.
func (s *verifiedSink) Verify(ctx context.Context, opts connector.VerifyOptions) (*connector.VerifyResult, error) {
	return verify.Verify(ctx, s.env.Config, s.cfg, opts)
}
