package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestBadConfigRefused: every problem of a config file is reported at
// once, each with its key and line, and nothing starts.
func TestBadConfigRefused(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body string
		want       []string
	}{
		{"syntax", "name: shop\nkafka: [\n", []string{"syntax.yaml:2:", "invalid YAML"}},
		{"several", `name: shop
kafka:
  brokers: ["127.0.0.1:9092"]
  bogus: 1
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(127.0.0.1:3306)/"
    server_id: "not a number"
    tables: ["shop.*"]
  - name: src
    type: mysql-sink
    source: nowhere
    dsn: "root@tcp(127.0.0.1:3307)/"
  - name: other
    type: postgres-source
`, []string{"kafka.bogus", ":4", "server_id", ":9", "nowhere", "src", "postgres-source"}},
		{"unset env", `name: shop
connectors:
  - name: src
    type: mysql-source
    dsn: "root:${SLUICE_TEST_UNSET_VAR}@tcp(127.0.0.1:3306)/"
    server_id: 1
    tables: ["shop.*"]
`, []string{"SLUICE_TEST_UNSET_VAR", "connectors[0].dsn"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := e2e.WriteFile(t, dir, c.name+".yaml", c.body)
			code, out := e2e.Run(t, "run", "--config", path)
			if code == 0 {
				t.Fatalf("exit 0 for a bad config; output:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestUnsuitableSourceRefused: a source without a binlog, or with
// statement-based logging, is refused with the setting to change.
func TestUnsuitableSourceRefused(t *testing.T) {
	cases := []struct {
		name string
		opts mariadbtest.Options
		want string
	}{
		{"binlog off", mariadbtest.Options{NoBinlog: true}, "log_bin"},
		{"statement format", mariadbtest.Options{BinlogFormat: "STATEMENT"}, "binlog_format=ROW"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := mariadbtest.Start(t, c.opts)
			dst := mariadbtest.Start(t, mariadbtest.Options{})
			cfg, _ := e2e.WriteConfig(t, t.TempDir(), src, dst, false)
			code, out := e2e.Run(t, "run", "--config", cfg, "--connector", "src")
			if code == 0 {
				t.Fatalf("exit 0; output:\n%s", out)
			}
			if !strings.Contains(out, c.want) || !strings.Contains(out, src.Addr()) {
				t.Errorf("error should name %q and the server %s:\n%s", c.want, src.Addr(), e2e.Tail(out, 20))
			}
			fmt.Println(e2e.Tail(out, 3))
		})
	}
}
