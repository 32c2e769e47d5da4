package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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

// env returns a lookup over the given NAME=value pairs.
func env(pairs ...string) func(string) (string, bool) {
	m := map[string]string{}
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadExample(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(file, []byte(exampleYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOURCE_PASSWORD", "s3cr:t@/x")
	c, err := Load(file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	yes := true
	want := &Config{
		Name: "shop",
		Kafka: Kafka{
			Brokers:         []string{"127.0.0.1:9092"},
			Embedded:        Embedded{Listen: "127.0.0.1:9092", DataDir: filepath.Join(dir, "data", "kafka"), SyncWrites: &yes},
			Partitions:      3,
			MaxMessageBytes: 1048576,
			Compression:     DefaultCompression,
		},
		Admin: Admin{Listen: "127.0.0.1:9187"},
		Connectors: []Connector{{
			Name: "shop-binlog", Type: "mysql-source", DSN: "repl:s3cr:t@/x@tcp(127.0.0.1:3306)/", TLS: TLS{Mode: TLSPreferred},
			ServerID: 4242, Tables: []string{"shop.*"}, Snapshot: "initial", SnapshotChunkSize: 5000, SnapshotParallel: 2, Flavor: "auto",
			Line: 10,
		}, {
			Name: "replica-1", Type: "mysql-sink", DSN: "root@tcp(127.0.0.1:3307)/", TLS: TLS{Mode: TLSPreferred},
			Source: "shop-binlog", BatchRows: 5000, BatchBytes: 16 << 20, Workers: 1, CheckpointDB: "sluice", CreateTables: &yes,
			Errors: SinkErrors{Tolerance: ToleranceNone}, Retry: Retry{MaxAttempts: DefaultRetryMaxAttempts, MaxBackoff: DefaultRetryMaxBackoff},
			Verify: &Verify{ChunkRows: DefaultVerifyChunkRows, MaxWait: DefaultVerifyMaxWait},
			Line:   16,
		}},
		Verify: &Verify{ChunkRows: DefaultVerifyChunkRows, MaxWait: DefaultVerifyMaxWait},
		Path:   file,
	}
	c.meta = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load:\n got %+v\nwant %+v", c, want)
	}
}

func TestAccessors(t *testing.T) {
	c, err := parse([]byte(exampleYAML), "shop.yaml", env("SOURCE_PASSWORD=pw"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Embedded() {
		t.Error("Embedded() = true with brokers listed")
	}
	src, sink := c.Connector("shop-binlog"), c.Connector("replica-1")
	if src == nil || sink == nil || c.Connector("nope") != nil {
		t.Fatalf("Connector lookups: %v %v %v", src, sink, c.Connector("nope"))
	}
	if !src.IsSource() || src.IsSink() || !sink.IsSink() || sink.IsSource() {
		t.Error("IsSource/IsSink disagree with type")
	}
	if s := c.Sources(); len(s) != 1 || s[0] != src {
		t.Errorf("Sources() = %v, want the shop-binlog entry of c.Connectors", s)
	}
	if s := c.Sinks(); len(s) != 1 || s[0] != sink {
		t.Errorf("Sinks() = %v, want the replica-1 entry of c.Connectors", s)
	}
	c.Kafka.Brokers = nil
	if !c.Embedded() {
		t.Error("Embedded() = false without brokers")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after Load: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("Load(absent) = %v, want a not-exist error naming the file", err)
	}
}

// TestBriefMessage pins the message format the issue tracker asked for.
func TestBriefMessage(t *testing.T) {
	src := strings.Replace(exampleYAML, "source: shop-binlog ", "source: shop-bin    ", 1)
	_, err := parse([]byte(src), "shop.yaml", env("SOURCE_PASSWORD=pw"))
	want := `shop.yaml:18: connectors[1].source: "shop-bin" names no mysql-source connector (known: shop-binlog)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant prefix %s", err, want)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		fe   FieldError
		want string
	}{
		{FieldError{"a.yaml", "name", 3, "required"}, "a.yaml:3: name: required"},
		{FieldError{"a.yaml", "", 3, "bad"}, "a.yaml:3: bad"},
		{FieldError{"a.yaml", "name", 0, "required"}, "a.yaml: name: required"},
		{FieldError{"", "name", 3, "required"}, "line 3: name: required"},
		{FieldError{"", "name", 0, "required"}, "name: required"},
	} {
		if got := tc.fe.Error(); got != tc.want {
			t.Errorf("%#v.Error() = %q, want %q", tc.fe, got, tc.want)
		}
	}
	errs := Errors{{"a.yaml", "x", 1, "one"}, {"a.yaml", "y", 2, "two"}}
	if got, want := errs.Error(), "a.yaml:1: x: one\na.yaml:2: y: two"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}
