package config_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

// pgSink is a made-up second sink type, beside the binary's mysql types,
// shaped like the postgres-sink to come: its own keys (source, schema,
// batch_rows, retry) and its own checks, written only against the API of
// pkg/config, which knows nothing of it.
type pgSink struct {
	*config.Connector
	Source    string
	Schema    string
	BatchRows int
	Retry     config.Retry
}

func (p *pgSink) Keys(d *config.Decoder) config.Keys {
	return config.Keys{
		"source":     d.Str(&p.Source),
		"schema":     d.Str(&p.Schema),
		"batch_rows": d.Int(&p.BatchRows, 1, 10000),
		"retry":      d.Retry(&p.Retry),
	}
}

func (p *pgSink) Defaults(s *config.Scope) {
	if s.Unset("schema", p.Schema == "") {
		p.Schema = "public"
	}
	if s.Unset("batch_rows", p.BatchRows == 0) {
		p.BatchRows = 500
	}
	s.DefaultRetry("retry", &p.Retry)
}

func (p *pgSink) Validate(s *config.Scope) {
	switch {
	case s.Skip("dsn"):
	case p.DSN == "":
		s.Missing("dsn", `a postgres:// URL`)
	case !strings.HasPrefix(p.DSN, "postgres://"):
		s.Add("dsn", "%q is not a postgres:// URL", config.MaskDSN(p.DSN))
	}
	s.CheckSource("source", p.Source)
	if !s.Skip("schema") && strings.Contains(p.Schema, ".") {
		s.Add("schema", "%s is a schema name, without a dot", s.Show("schema", p.Schema))
	}
	s.IntRange("batch_rows", p.BatchRows, 1, 10000)
	s.CheckRetry("retry", p.Retry)
}

// kindsWithPG are the binary's types and pg-sink.
func kindsWithPG() config.Kinds {
	k := maps.Clone(connectors.Builtin.Kinds())
	k["pg-sink"] = config.Kind{Role: config.RoleSink, Spec: func(c *config.Connector) config.Spec { return &pgSink{Connector: c} }}
	return k
}

// mysqlFile is a mysql-source (lines 3-7) and a mysql-sink (lines 8-11).
const mysqlFile = head + `  - name: src
    type: mysql-source
    dsn: "u:p@tcp(h:3306)/"
    server_id: 1
    tables: ["shop.*"]
  - name: replica
    type: mysql-sink
    source: src
    dsn: "u@tcp(r:3306)/"
`

// pgConn is a valid pg-sink (lines 12-15 after mysqlFile).
const pgConn = `  - name: pg
    type: pg-sink
    source: src
    dsn: "postgres://u:${PG_PASSWORD}@pg/shop"
`

// TestSecondType: a connector type that pkg/config has never heard of gets
// its keys decoded strictly into its own struct, defaulted and validated,
// beside the other types, every problem with its key path and line.
func TestSecondType(t *testing.T) {
	t.Setenv("PG_PASSWORD", "pw")
	c := configtest.Parse(t, mysqlFile+pgConn+"    batch_rows: 20\n", kindsWithPG())
	pg := spec[*pgSink](c, "pg")
	if pg.Connector != c.Connector("pg") || pg.DSN != "postgres://u:pw@pg/shop" || pg.Source != "src" ||
		pg.Schema != "public" || pg.BatchRows != 20 || pg.Retry.MaxAttempts != config.DefaultRetryMaxAttempts {
		t.Errorf("pg-sink = %+v", pg)
	}
	if sinks := c.Sinks(); len(sinks) != 2 || sinks[1] != c.Connector("pg") {
		t.Errorf("Sinks() = %v, want the mysql-sink and the pg-sink", sinks)
	}

	configtest.Run(t, kindsWithPG(), []configtest.Case{
		{"its own checks", mysqlFile + strings.Replace(pgConn, "postgres://", "", 1) + "    schema: a.b\n    batch_rows: 0\n    retry: {max_attempts: 0}\n",
			[]string{`15 connectors[2].dsn: |"u:***@pg/shop" is not a postgres:// URL`,
				`16 connectors[2].schema: |"a.b" is a schema name, without a dot`,
				`17 connectors[2].batch_rows: |must be between 1 and 10000, got 0`,
				`18 connectors[2].retry.max_attempts: |must be between 1 and 1000, got 0`}},
		{"unknown key", mysqlFile + pgConn + "    scheme: x\n",
			[]string{`16 connectors[2].scheme: |unknown key; did you mean "schema"? (valid keys here: batch_rows, dsn, name, retry, schema, source, tls, type)`}},
		{"keys of the other types", mysqlFile + "    schema: x\n" + pgConn + "    server_id: 2\n    workers: 2\n",
			[]string{`12 connectors[1].schema: |only valid for type pg-sink, and this connector is a mysql-sink; remove it`,
				`17 connectors[2].server_id: |only valid for type mysql-source, and this connector is a pg-sink; remove it`,
				`18 connectors[2].workers: |only valid for type mysql-sink, and this connector is a pg-sink; remove it`}},
		{"a key of two types", strings.Replace(mysqlFile, "    tables:", "    batch_rows: 5\n    tables:", 1) + pgConn,
			[]string{`7 connectors[0].batch_rows: |only valid for types mysql-sink or pg-sink, and this connector is a mysql-source; remove it`}},
		{"its source is checked against the file", mysqlFile + strings.Replace(pgConn, "source: src", "source: replica", 1),
			[]string{`14 connectors[2].source: |"replica" is a mysql-sink connector, not a mysql-source`}},
		{"the list of types", mysqlFile + strings.Replace(pgConn, "type: pg-sink", "type: pg-snik", 1),
			[]string{`13 connectors[2].type: |unknown connector type "pg-snik"; use mysql-source, mysql-sink or pg-sink (did you mean "pg-sink"?)`}},
	})
}
