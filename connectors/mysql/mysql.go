package mysql

import (
	"context"

	"github.com/sluice-cdc/sluice/connectors/mysql/check"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/connectors/mysql/verify"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Source is the mysql-source type (package source), checked by package
// check.
var Source = connector.Type{Kind: source.Kind, New: newSource}

// newSource builds a mysql-source that can be checked; it does no I/O.
func newSource(cfg *config.Connector, env connector.Env) (connector.Connector, error) {
	s, err := source.New(cfg, env)
	if err != nil {
		return nil, err
	}
	return &checkedSource{Source: s.(*source.Source), chk: check.NewSource(source.ConfigOf(cfg), env)}, nil
}

// checkedSource is a mysql-source with `sluice check` (package check).
type checkedSource struct {
	*source.Source
	chk *check.Source
}

var _ connector.Checker = (*checkedSource)(nil)

// Check implements connector.Checker.
func (s *checkedSource) Check(ctx context.Context) []connector.Finding { return s.chk.Check(ctx) }

// Sink is the mysql-sink type (package sink), whose connectors can also be
// checked (package check) and verified against their source (package
// verify).
var Sink = connector.Type{Kind: sink.Kind, New: newSink}

// newSink builds a mysql-sink that can be verified; it does no I/O.
func newSink(cfg *config.Connector, env connector.Env) (connector.Connector, error) {
	s, err := sink.New(cfg, env)
	if err != nil {
		return nil, err
	}
	c := sink.ConfigOf(cfg)
	return &verifiedSink{Sink: s.(*sink.Sink), cfg: c, env: env, check: check.NewSink(c, env)}, nil
}

// verifiedSink is a mysql-sink with check and verify: the sink package
// applies, the check package checks the replica, the verify package
// compares, and none imports another's role.
type verifiedSink struct {
	*sink.Sink
	cfg   *sink.Config
	env   connector.Env
	check *check.Sink
}

var (
	_ connector.Verifier = (*verifiedSink)(nil)
	_ connector.Checker  = (*verifiedSink)(nil)
)

// Check implements connector.Checker.
func (s *verifiedSink) Check(ctx context.Context) []connector.Finding { return s.check.Check(ctx) }

// Verify implements connector.Verifier.
func (s *verifiedSink) Verify(ctx context.Context, opts connector.VerifyOptions) (*connector.VerifyResult, error) {
	return verify.Verify(ctx, s.env.Config, s.cfg, opts)
}
