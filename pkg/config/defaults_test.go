package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDefaults(t *testing.T) {
	c, err := parse([]byte(head+srcConn+sinkConn), "t.yaml", env())
	if err != nil {
		t.Fatal(err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if want := (Kafka{
		Embedded:        Embedded{Listen: "127.0.0.1:9092", DataDir: filepath.Join(cwd, "data", "kafka"), SyncWrites: &yes},
		Partitions:      3,
		MaxMessageBytes: 1048576,
		Compression:     DefaultCompression,
	}); !reflect.DeepEqual(c.Kafka, want) {
		t.Errorf("Kafka = %+v, want %+v", c.Kafka, want)
	}
	if c.Admin.Listen != "127.0.0.1:9187" {
		t.Errorf("Admin.Listen = %q", c.Admin.Listen)
	}
	if !c.Embedded() {
		t.Error("Embedded() = false without brokers")
	}
	src, sink := c.Connectors[0], c.Connectors[1]
	if src.Snapshot != "initial" || src.SnapshotChunkSize != 5000 || src.Flavor != "auto" {
		t.Errorf("source defaults: %+v", src)
	}
	if src.BatchRows != 0 || src.BatchBytes != 0 || src.CheckpointDB != "" || src.CreateTables != nil {
		t.Errorf("sink defaults applied to a source: %+v", src)
	}
	if sink.BatchRows != 5000 || sink.BatchBytes != 16<<20 || sink.CheckpointDB != "sluice" || sink.CreateTables == nil || !*sink.CreateTables {
		t.Errorf("sink defaults: %+v", sink)
	}
	if sink.Snapshot != "" || sink.SnapshotChunkSize != 0 || sink.Flavor != "" {
		t.Errorf("source defaults applied to a sink: %+v", sink)
	}
}

// TestExplicitValuesKept checks that a value written in the file, even false
// or 0, is not replaced by a default.
func TestExplicitValuesKept(t *testing.T) {
	src := `name: shop
kafka:
  replication_factor: 0
  partitions: 12
  max_message_bytes: 2048
  compression: zstd
  embedded:
    sync_writes: false
    listen: ":0"
connectors:
  - name: src
    type: mysql-source
    dsn: "u@tcp(h:1)/"
    server_id: 4294967295
    tables: ["*.*"]
    snapshot: never
    snapshot_chunk_size: 1
    flavor: mariadb
  - name: dst
    type: mysql-sink
    source: src
    dsn: "u@tcp(h:2)/"
    batch_rows: 1
    checkpoint_db: cp
    create_tables: false
`
	c, err := parse([]byte(src), "t.yaml", env())
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kafka
	if k.Partitions != 12 || k.ReplicationFactor != 0 || k.MaxMessageBytes != 2048 || k.Compression != "zstd" ||
		*k.Embedded.SyncWrites || k.Embedded.Listen != ":0" {
		t.Errorf("Kafka = %+v", k)
	}
	s, d := c.Connectors[0], c.Connectors[1]
	if s.ServerID != 4294967295 || s.Snapshot != "never" || s.SnapshotChunkSize != 1 || s.Flavor != "mariadb" {
		t.Errorf("source = %+v", s)
	}
	if d.BatchRows != 1 || d.CheckpointDB != "cp" || *d.CreateTables {
		t.Errorf("sink = %+v", d)
	}
}

func TestDataDirResolution(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(t.TempDir(), "kafka")
	for _, tc := range []struct {
		name, file, dataDir, want string
	}{
		{"default, file in cwd", "shop.yaml", "", filepath.Join(cwd, "data", "kafka")},
		{"default, file elsewhere", "/etc/sluice/shop.yaml", "", "/etc/sluice/data/kafka"},
		{"relative to the file", "conf/shop.yaml", "state", filepath.Join(cwd, "conf", "state")},
		{"parent of the file", "/etc/sluice/shop.yaml", "../../var/lib/sluice", "/var/lib/sluice"},
		{"absolute stays", "conf/shop.yaml", abs, abs},
		{"no file name", "", "./d", filepath.Join(cwd, "d")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := head + srcConn
			if tc.dataDir != "" {
				src += "kafka:\n  embedded:\n    data_dir: " + tc.dataDir + "\n"
			}
			c, err := parse([]byte(src), tc.file, env())
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Kafka.Embedded.DataDir; got != tc.want {
				t.Errorf("DataDir = %q, want %q", got, tc.want)
			}
			c.ApplyDefaults() // idempotent
			if got := c.Kafka.Embedded.DataDir; got != tc.want {
				t.Errorf("DataDir after a second ApplyDefaults = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLoadResolvesAgainstFile checks data_dir through Load, with the file in
// another directory than the working directory.
func TestLoadResolvesAgainstFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "conf", "x.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	src := head + srcConn + "kafka:\n  embedded:\n    data_dir: ../state\n"
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "state"); c.Kafka.Embedded.DataDir != want {
		t.Errorf("DataDir = %q, want %q", c.Kafka.Embedded.DataDir, want)
	}
}
