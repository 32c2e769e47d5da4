package mysql

import (
	"context"

	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/connectors/mysql/verify"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Source is the mysql-source type (package source).
var Source = connector.Type{Kind: source.Kind, New: source.New}

// Sink is the mysql-sink type (package sink), whose connectors can also be
// verified against their source (package verify).
var Sink = connector.Type{Kind: sink.Kind, New: newSink}

// newSink builds a mysql-sink that can be verified; it does no I/O.
func newSink(cfg *config.Connector, env connector.Env) (connector.Connector, error) {
	s, err := sink.New(cfg, env)
	if err != nil {
		return nil, err
	}
	return &verifiedSink{Sink: s.(*sink.Sink), cfg: sink.ConfigOf(cfg), env: env}, nil
}

// verifiedSink is a mysql-sink with verify: the sink package applies, the
// verify package compares, and neither imports the other's role.
type verifiedSink struct {
	*sink.Sink
	cfg *sink.Config
	env connector.Env
}

var _ connector.Verifier = (*verifiedSink)(nil)

// Verify implements connector.Verifier.
func (s *verifiedSink) Verify(ctx context.Context, opts connector.VerifyOptions) (*connector.VerifyResult, error) {
	return verify.Verify(ctx, s.env.Config, s.cfg, opts)
}
