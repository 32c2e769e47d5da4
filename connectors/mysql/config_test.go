package mysql_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/conftest"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

// exampleYAML is the example file from the design brief, verbatim.
const exampleYAML = `name: shop                         # names topics, consumer groups, metric labels
kafka:
  brokers: ["127.0.0.1:9092"]      # empty or absent: embedded broker
  embedded:
    listen: 127.0.0.1:9092
    data_dir: ./data/kafka
admin:
  listen: 127.0.0.1:9187
connectors:
  - name: shop-binlog
    type: mysql-source
    dsn: "repl:${SOURCE_PASSWORD}@tcp(127.0.0.1:3306)/"
    server_id: 4242
    tables: ["shop.*"]             # db.table patterns
    snapshot: initial              # initial (default) | never
  - name: replica-1
    type: mysql-sink
    source: shop-binlog            # consume what that source publishes
    dsn: "root@tcp(127.0.0.1:3307)/"
`

// TestLoadExample loads the brief's example with the types of the sluice
// binary (connectors.Builtin) and checks every connector key.
func TestLoadExample(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(file, []byte(exampleYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOURCE_PASSWORD", "s3cr:t@/x")
	c, err := config.Load(file, connectors.Builtin.Kinds())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Connectors) != 2 {
		t.Fatalf("connectors: %+v", c.Connectors)
	}
	yes := true
	wantSrc := source.Config{
		Connector: &config.Connector{Name: "shop-binlog", Type: "mysql-source", Role: config.RoleSource,
			DSN: "repl:s3cr:t@/x@tcp(127.0.0.1:3306)/", TLS: config.TLS{Mode: config.TLSPreferred}, Line: 10},
		ServerID: 4242, Tables: []string{"shop.*"}, Snapshot: "initial", SnapshotChunkSize: 5000, SnapshotParallel: 2, Flavor: "auto",
		OnTableError: config.OnTableErrorQuarantine,
	}
	wantSink := sink.Config{
		Connector: &config.Connector{Name: "replica-1", Type: "mysql-sink", Role: config.RoleSink,
			DSN: "root@tcp(127.0.0.1:3307)/", TLS: config.TLS{Mode: config.TLSPreferred}, Line: 16},
		Source: "shop-binlog", BatchRows: 5000, BatchBytes: 16 << 20, Workers: 1, CheckpointDB: "sluice", CreateTables: &yes,
		Errors:       config.SinkErrors{Tolerance: config.ToleranceNone},
		Retry:        config.Retry{MaxAttempts: config.DefaultRetryMaxAttempts, MaxBackoff: config.DefaultRetryMaxBackoff},
		Verify:       &config.Verify{ChunkRows: config.DefaultVerifyChunkRows, MaxWait: config.DefaultVerifyMaxWait},
		OnTableError: config.OnTableErrorQuarantine,
	}
	// The specs point back at their entries; compare the entries without
	// their Spec, and the specs without that pointer.
	src, snk := *source.ConfigOf(&c.Connectors[0]), *sink.ConfigOf(&c.Connectors[1])
	for i, got := range []struct{ entry, want *config.Connector }{{src.Connector, wantSrc.Connector}, {snk.Connector, wantSink.Connector}} {
		if got.entry != &c.Connectors[i] {
			t.Errorf("connectors[%d]: the spec does not point at its entry", i)
		}
		e := *got.entry
		e.Spec = nil
		if !reflect.DeepEqual(&e, got.want) {
			t.Errorf("connectors[%d]:\n got %+v\nwant %+v", i, e, *got.want)
		}
	}
	src.Connector, wantSrc.Connector, snk.Connector, wantSink.Connector = nil, nil, nil, nil
	if !reflect.DeepEqual(src, wantSrc) {
		t.Errorf("source:\n got %+v\nwant %+v", src, wantSrc)
	}
	if !reflect.DeepEqual(snk, wantSink) {
		t.Errorf("sink:\n got %+v\nwant %+v", snk, wantSink)
	}
}

// TestBriefMessage pins the message format the issue tracker asked for.
func TestBriefMessage(t *testing.T) {
	src := strings.Replace(exampleYAML, "source: shop-binlog ", "source: shop-bin    ", 1)
	t.Setenv("SOURCE_PASSWORD", "pw")
	_, err := config.Parse([]byte(src), "shop.yaml", connectors.Builtin.Kinds())
	want := `shop.yaml:18: connectors[1].source: "shop-bin" names no mysql-source connector (known: shop-binlog)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant prefix %s", err, want)
	}
}

// TestManyErrorsAtOnce checks that problems of every stage, the file's and
// each type's, are reported together, in line order, each on its own line.
func TestManyErrorsAtOnce(t *testing.T) {
	src := `name: shop/eu
kafka:
  brokers: "k:9092"
  partitions: three
admin:
  listn: 127.0.0.1:9187
connectors:
  - name: shop-binlog
    type: mysql-source
    dsn: "repl:${SOURCE_PASSWORD}@tcp(127.0.0.1:3306)/"
    server_id: 4242
    tables: ["shop"]
    snapshot: initial
    snapshot: never
  - name: replica-1
    type: mysql-sink
    source: shop-bin
    dsn: "root@tcp(127.0.0.1:3307)/"
    tables: ["shop.*"]
`
	configtest.Unsetenv(t, "SOURCE_PASSWORD")
	configtest.CheckErrs(t, configtest.ParseErrs(t, src, connectors.Builtin.Kinds()), []string{
		`1 name: |not a valid name`,
		`3 kafka.brokers: |expected a list`,
		`4 kafka.partitions: |expected a whole number`,
		`6 admin.listn: |did you mean "listen"?`,
		`10 connectors[0].dsn: |environment variable SOURCE_PASSWORD is not set`,
		`12 connectors[0].tables[0]: |has no dot`,
		`14 connectors[0].snapshot: |duplicate key (first set at line 13)`,
		`17 connectors[1].source: |"shop-bin" names no mysql-source connector (known: shop-binlog)`,
		`19 connectors[1].tables: |only valid for type mysql-source`,
	})
}

// TestTLSErrorsInOrder: the file's tls checks and the type's come in the
// order they always did for one line.
func TestTLSErrorsInOrder(t *testing.T) {
	src := conftest.Head + strings.Replace(conftest.Src, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:p@tcp(h:3306)/?tls=true"`, 1) +
		"    tls: {mode: verify-everything, cert: /nonexistent/cert.pem}\n"
	configtest.CheckErrs(t, configtest.ParseErrs(t, src, connectors.Builtin.Kinds()), []string{
		"8 connectors[0].tls.mode: |\"verify-everything\" is not allowed; use disabled, preferred, required, verify-ca or verify-identity",
		"8 connectors[0].tls.key: |required with connectors[0].tls.cert",
		"8 connectors[0].tls: |the dsn sets tls= too",
	})
}

// TestPrepareTLS: connector.Prepare registers each mysql connector's TLS
// settings with the driver and names them in its DSN, once.
func TestPrepareTLS(t *testing.T) {
	src := conftest.Head + conftest.Src + "    tls: {mode: verify-identity, server_name: db.example}\n" + conftest.Sink
	c := configtest.Parse(t, src, connectors.Builtin.Kinds())
	if err := connector.Prepare(c); err != nil {
		t.Fatal(err)
	}
	dsn := c.Connectors[0].DSN
	if !strings.Contains(dsn, "?tls=sluice-") || strings.Contains(dsn, "allowFallback") {
		t.Errorf("verify-identity DSN = %q", dsn)
	}
	if !strings.Contains(c.Connectors[1].DSN, "allowFallbackToPlaintext=true") {
		t.Errorf("preferred DSN = %q", c.Connectors[1].DSN)
	}
	before := c.Connectors[0].DSN
	if err := connector.Prepare(c); err != nil || c.Connectors[0].DSN != before {
		t.Errorf("Prepare twice changed the DSN: %q", c.Connectors[0].DSN)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after Prepare: %v", err)
	}
}
