package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestDefaults(t *testing.T) {
	c := configtest.Parse(t, head+srcConn+sinkConn, fakeKinds)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if want := (config.Kafka{
		Embedded:        config.Embedded{Listen: "127.0.0.1:9092", DataDir: filepath.Join(cwd, "data", "kafka"), SyncWrites: &yes},
		Partitions:      3,
		MaxMessageBytes: 1048576,
		Compression:     config.DefaultCompression,
	}); !reflect.DeepEqual(c.Kafka, want) {
		t.Errorf("Kafka = %+v, want %+v", c.Kafka, want)
	}
	if c.Admin.Listen != "127.0.0.1:9187" {
		t.Errorf("Admin.Listen = %q", c.Admin.Listen)
	}
	if !c.Embedded() {
		t.Error("Embedded() = false without brokers")
	}
	for _, cn := range c.Connectors {
		if cn.TLS.Mode != config.TLSPreferred {
			t.Errorf("%s: tls.mode = %q, want preferred", cn.Name, cn.TLS.Mode)
		}
	}
	if sink := spec[*fakeSink](c, "dst"); sink.Batch != 100 {
		t.Errorf("the type's own default: batch = %d, want 100", sink.Batch)
	}
}

// TestExplicitValuesKept checks that a value written in the file, even false
// or 0, is not replaced by a default, in the file's keys and a type's.
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
` + srcConn + sinkConn + "    batch: 1\n    retry: {max_attempts: 1}\n"
	c := configtest.Parse(t, src, fakeKinds)
	k := c.Kafka
	if k.Partitions != 12 || k.ReplicationFactor != 0 || k.MaxMessageBytes != 2048 || k.Compression != "zstd" ||
		*k.Embedded.SyncWrites || k.Embedded.Listen != ":0" {
		t.Errorf("Kafka = %+v", k)
	}
	if d := spec[*fakeSink](c, "dst"); d.Batch != 1 || d.Retry.MaxAttempts != 1 || d.Retry.MaxBackoff != config.DefaultRetryMaxBackoff {
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
			c, err := config.Parse([]byte(src), tc.file, fakeKinds)
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
	c, err := config.Load(file, fakeKinds)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "state"); c.Kafka.Embedded.DataDir != want {
		t.Errorf("DataDir = %q, want %q", c.Kafka.Embedded.DataDir, want)
	}
}
