package config_test

import (
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/config"
)

// The tests of this package decode files of two made-up connector types,
// through the API a real type (connectors/mysql/source, .../sink) uses:
// what pkg/config does must not depend on which types exist.

// fakeKinds are the made-up types: fake-source and fake-sink.
var fakeKinds = config.Kinds{
	"fake-source": {Role: config.RoleSource, Spec: func(c *config.Connector) config.Spec { return &fakeSource{Connector: c} }},
	"fake-sink":   {Role: config.RoleSink, Spec: func(c *config.Connector) config.Spec { return &fakeSink{Connector: c} }},
}

// head is a valid start of a file (lines 1-2); connector lists follow it.
const head = "name: shop\nconnectors:\n"

// srcConn is a valid fake-source connector (lines 3-7 after head).
const srcConn = `  - name: src
    type: fake-source
    dsn: "u:p@tcp(h:3306)/"
    id: 1
    tables: ["shop.*"]
`

// sinkConn is a valid fake-sink connector (lines 8-11 after head+srcConn).
const sinkConn = `  - name: dst
    type: fake-sink
    source: src
    dsn: "u@tcp(r:3306)/"
`

// fakeSource has an id (1 to 1000, required) and tables (required, each
// with a dot).
type fakeSource struct {
	*config.Connector
	ID     int
	Tables []string
}

func (f *fakeSource) Keys(d *config.Decoder) config.Keys {
	return config.Keys{"id": d.Int(&f.ID, 1, 1000), "tables": d.Strs(&f.Tables)}
}

func (f *fakeSource) Defaults(*config.Scope) {}

func (f *fakeSource) Validate(s *config.Scope) {
	if f.DSN == "" && !s.Skip("dsn") {
		s.Missing("dsn", "the fake DSN")
	}
	if f.ID == 0 && !s.Skip("id") {
		s.Missing("id", "a number from 1 to 1000")
	}
	if len(f.Tables) == 0 && !s.Skip("tables") {
		s.Missing("tables", "the tables")
	}
	for i, t := range f.Tables {
		if k := fmt.Sprintf("tables[%d]", i); !strings.Contains(t, ".") && !s.Skip(k) {
			s.Add(k, "%s has no dot", s.Show(k, t))
		}
	}
}

// fakeSink has a source, a batch (default 100), and the building blocks of
// sink configs: verify, routes, errors and retry.
type fakeSink struct {
	*config.Connector
	Source string
	Batch  int
	Verify *config.Verify
	Routes []config.Route
	Errors config.SinkErrors
	Retry  config.Retry
}

func (f *fakeSink) Keys(d *config.Decoder) config.Keys {
	return config.Keys{
		"source": d.Str(&f.Source),
		"batch":  d.Int(&f.Batch, 1, 1<<20),
		"verify": d.Verify(&f.Verify),
		"routes": d.Routes(&f.Routes),
		"errors": d.SinkErrors(&f.Errors),
		"retry":  d.Retry(&f.Retry),
	}
}

func (f *fakeSink) Defaults(s *config.Scope) {
	if s.Unset("batch", f.Batch == 0) {
		f.Batch = 100
	}
	s.InheritVerify("verify", &f.Verify)
	s.DefaultSinkErrors("errors", &f.Errors)
	s.DefaultRetry("retry", &f.Retry)
}

func (f *fakeSink) Validate(s *config.Scope) {
	if f.DSN == "" && !s.Skip("dsn") {
		s.Missing("dsn", "the fake DSN")
	}
	s.CheckRoutes("routes", f.Routes)
	s.CheckSource("source", f.Source)
	s.CheckVerify("verify", f.Verify)
	s.CheckSinkErrors("errors", f.Errors)
	s.CheckRetry("retry", f.Retry)
	s.IntRange("batch", f.Batch, 1, 1<<20)
}

// spec returns the spec of the connector called name.
func spec[T config.Spec](c *config.Config, name string) T {
	return c.Connector(name).Spec.(T)
}
