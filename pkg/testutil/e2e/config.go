package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// WriteConfig writes dir/sluice.yaml, a config of pipeline "test" with one
// source "src" capturing shop.* from src (snapshot chunks of 100 rows) and
// one sink "replica-1" into dst (batches of 500 rows), the embedded broker
// (3 partitions, data in dir/kafka) and the admin server on free ports.
// It returns the config's path and the admin address. With split set,
// kafka.brokers points at the embedded broker's address, for a separate
// `sluice broker` process (StartBroker). Each extra server gets a sink of
// its own (replica-2, replica-3, ...). Tests change it with EditConfig.
func WriteConfig(t testing.TB, dir string, src, dst *mariadbtest.Server, split bool, extra ...*mariadbtest.Server) (string, string) {
	t.Helper()
	c := pipeline{dir: dir, broker: FreeAddr(t), admin: FreeAddr(t), split: split, src: src.Addr(),
		srcExtra: "    snapshot_chunk_size: 100\n", sinkDSN: "root@tcp(" + dst.Addr() + ")/", sinkExtra: "    batch_rows: 500\n"}
	cfg := c.yaml()
	for i, x := range extra {
		cfg += fmt.Sprintf("  - name: replica-%d\n    type: mysql-sink\n    source: src\n    dsn: \"root@tcp(%s)/\"\n", i+2, x.Addr())
	}
	return WriteFile(t, dir, "sluice.yaml", cfg), c.admin
}

// pipeline is what WriteConfig and FaultEnv.WriteConfig vary in a config.
type pipeline struct {
	dir       string // kafka data in dir/kafka
	broker    string // the embedded broker's address
	admin     string // the admin server's address
	split     bool   // kafka.brokers points at the embedded broker
	src       string // the source server's address (connected as root)
	srcExtra  string // indented YAML lines added to the source
	sinkDSN   string
	sinkExtra string // indented YAML lines added to the sink
}

// yaml returns the config of pipeline "test": the embedded broker, 3
// partitions, the admin server, the source "src" capturing shop.* and the
// sink "replica-1". Tests edit it by its lines (EditConfig), so changes to
// the text reach them.
func (c pipeline) yaml() string {
	kafka := fmt.Sprintf("  embedded:\n    listen: %s\n    data_dir: %s\n", c.broker, filepath.Join(c.dir, "kafka"))
	if c.split {
		kafka = fmt.Sprintf("  brokers: [%q]\n", c.broker) + kafka
	}
	return fmt.Sprintf(`name: test
kafka:
%s  partitions: 3
admin:
  listen: %s
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4242
    tables: ["shop.*"]
%s  - name: replica-1
    type: mysql-sink
    source: src
    dsn: "%s"
%s`, kafka, c.admin, c.src, c.srcExtra, c.sinkDSN, c.sinkExtra)
}

// EditConfig replaces the first old by new in the config file at path,
// and fails the test when the file lacks old.
func EditConfig(t testing.TB, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("config %s lacks %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// PointSource points the source's dsn in the config at path from the
// server at address from to the one at to (the source is the first
// connector WriteConfig writes).
func PointSource(t testing.TB, path, from, to string) {
	t.Helper()
	EditConfig(t, path, fmt.Sprintf(`dsn: "root@tcp(%s)/"`, from), fmt.Sprintf(`dsn: "root@tcp(%s)/"`, to))
}

// WriteFile writes body to dir/name and returns its path.
func WriteFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
