package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestValidateErrors(t *testing.T) {
	repl := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
	configtest.Run(t, fakeKinds, []configtest.Case{
		{"missing name and connectors", "kafka: {}\n",
			[]string{`1 name: |required; set the pipeline name`, `1 connectors: |required; set a list of connectors`}},
		{"empty name and connectors", "name:\nconnectors: []\n",
			[]string{`1 name: |is empty`, `2 connectors: |is empty`}},
		{"invalid name", "name: shop.eu\nconnectors:\n" + srcConn,
			[]string{`1 name: |"shop.eu" is not a valid name; use only letters, digits, _ and -`}},
		{"long name", "name: " + strings.Repeat("n", 65) + "\nconnectors:\n" + srcConn,
			[]string{`1 name: |is 65 characters long; use at most 64`}},
		{"connector required keys", head + "  - name: x\n",
			[]string{`3 connectors[0].type: |required`, `3 connectors[0].dsn: |required`}},
		{"type's required keys", head + "  - name: x\n    type: fake-source\n",
			[]string{`3 connectors[0].dsn: |required; set the fake DSN`, `3 connectors[0].id: |required`, `3 connectors[0].tables: |required`}},
		{"unknown type", head + repl(srcConn, "type: fake-source", "type: fake-sorce"),
			[]string{`4 connectors[0].type: |unknown connector type "fake-sorce"; use fake-source or fake-sink (did you mean "fake-source"?)`}},
		{"unknown type, nothing like it", head + "  - name: x\n    dsn: d\n    type: any\n    id: 3\n    source: y\n",
			[]string{`5 connectors[0].type: |unknown connector type "any"; use fake-source or fake-sink`}},
		{"source required", head + srcConn + "  - name: y\n    type: fake-sink\n    dsn: \"u@tcp(h:1)/\"\n",
			[]string{`8 connectors[1].source: |required; set the name of the fake-source connector to replicate (known: src)`}},
		{"empty tables", head + repl(srcConn, `tables: ["shop.*"]`, `tables: []`),
			[]string{`7 connectors[0].tables: |is empty`}},
		{"type's own check", head + repl(srcConn, `tables: ["shop.*"]`, `tables: ["shop"]`),
			[]string{`7 connectors[0].tables[0]: |"shop" has no dot`}},
		{"duplicate connector names", head + srcConn + repl(sinkConn, "name: dst", "name: src"),
			[]string{`8 connectors[1].name: |"src" is also the name of connectors[0] (line 3)`}},
		{"source names nothing", head + srcConn + repl(sinkConn, "source: src", "source: sr"),
			[]string{`10 connectors[1].source: |"sr" names no fake-source connector (known: src); did you mean "src"?`}},
		{"source names a sink", head + srcConn + sinkConn + repl(repl(sinkConn, "name: dst\n", "name: dst2\n"), "source: src", "source: dst"),
			[]string{`14 connectors[2].source: |"dst" is a fake-sink connector, not a fake-source`}},
		{"no sources at all", head + sinkConn,
			[]string{`5 connectors[0].source: |names no fake-source connector (this file has none yet: add one)`}},
		{"two sinks of one source are fine", head + srcConn + sinkConn + repl(sinkConn, "name: dst\n", "name: dst2\n"), nil},
		{"bad brokers", "kafka:\n  brokers: [\"k1\", \":9092\", \"k2:0\", \"k3:9092\", \"k3:9092\"]\n" + head + srcConn,
			[]string{`2 kafka.brokers[0]: |"k1" is not host:port`, `2 kafka.brokers[1]: |has no host`,
				`2 kafka.brokers[2]: |has port "0"`, `2 kafka.brokers[4]: |"k3:9092" is listed twice (also kafka.brokers[3])`}},
		{"bad listens", "admin:\n  listen: localhost\nkafka:\n  embedded:\n    listen: \"h:99999\"\n" + head + srcConn,
			[]string{`2 admin.listen: |"localhost" is not host:port; write host:port to listen on`,
				`5 kafka.embedded.listen: |has port "99999"`}},
		{"replication on embedded", "kafka:\n  replication_factor: 3\n" + head + srcConn,
			[]string{`2 kafka.replication_factor: |is 3, but with no kafka.brokers sluice runs one embedded broker`}},
		{"empty data_dir", "kafka:\n  embedded:\n    data_dir: \"\"\n" + head + srcConn,
			[]string{`3 kafka.embedded.data_dir: |is empty; set a directory`}},
	})
}

// TestManyErrorsAtOnce checks that problems of every stage are reported
// together, in line order, each on its own line: the file's keys, and the
// keys of each connector's type.
func TestManyErrorsAtOnce(t *testing.T) {
	src := `name: shop/eu
kafka:
  brokers: "k:9092"
  partitions: three
admin:
  listn: 127.0.0.1:9187
connectors:
  - name: shop-binlog
    type: fake-source
    dsn: "repl:${SOURCE_PASSWORD}@tcp(127.0.0.1:3306)/"
    id: 4242
    tables: ["shop"]
    tables: ["shop.*"]
  - name: replica-1
    type: fake-sink
    source: shop-bin
    dsn: "root@tcp(127.0.0.1:3307)/"
    id: 1
`
	configtest.Unsetenv(t, "SOURCE_PASSWORD")
	errs := configtest.ParseErrs(t, src, fakeKinds)
	configtest.CheckErrs(t, errs, []string{
		`1 name: |not a valid name`,
		`3 kafka.brokers: |expected a list`,
		`4 kafka.partitions: |expected a whole number`,
		`6 admin.listn: |did you mean "listen"?`,
		`10 connectors[0].dsn: |environment variable SOURCE_PASSWORD is not set`,
		`11 connectors[0].id: |must be between 1 and 1000, got 4242`,
		`12 connectors[0].tables[0]: |"shop" has no dot`,
		`13 connectors[0].tables: |duplicate key (first set at line 12)`,
		`16 connectors[1].source: |"shop-bin" names no fake-source connector (known: shop-binlog)`,
		`18 connectors[1].id: |only valid for type fake-source`,
	})
	if n := strings.Count(errs.Error(), "\n"); n != len(errs)-1 {
		t.Errorf("Error() has %d newlines for %d errors", n, len(errs))
	}
	var wrapped error = errs
	var got config.Errors
	if !errors.As(wrapped, &got) || len(got) != len(errs) {
		t.Error("errors.As does not find Errors")
	}
}

// TestValidateBuiltInCode checks Validate on a Config that was not loaded:
// zero values count as unset, the types' own checks run, and a connector
// without a Spec is an error.
func TestValidateBuiltInCode(t *testing.T) {
	c := &config.Config{
		Name: "p",
		Connectors: []config.Connector{
			{Name: "s", Type: "fake-source", Role: config.RoleSource, DSN: "u@tcp(h:1)/"},
			{Name: "k", Type: "fake-sink", Role: config.RoleSink, DSN: "u@tcp(h:2)/"},
			{Name: "x", Type: "other", DSN: "u@tcp(h:3)/"},
		},
	}
	src := &fakeSource{Connector: &c.Connectors[0], ID: 9}
	sink := &fakeSink{Connector: &c.Connectors[1], Source: "s"}
	c.Connectors[0].Spec, c.Connectors[1].Spec = src, sink
	c.ApplyDefaults()
	if sink.Batch != 100 || sink.Verify == nil || sink.Verify.ChunkRows != config.DefaultVerifyChunkRows {
		t.Errorf("defaults of a sink built in code: %+v", sink)
	}
	err := c.Validate()
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate = %v, want Errors", err)
	}
	want := "connectors[2].type: \"other\": a connector built in code needs the Spec of its type\n" +
		"connectors[0].tables: required; set the tables"
	if errs.Error() != want {
		t.Errorf("Validate:\n%v\nwant\n%s", errs, want)
	}
	src.Tables = []string{"a.b"}
	c.Connectors = c.Connectors[:2]
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after fixing: %v", err)
	}
}
