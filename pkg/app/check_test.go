package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// writeCheckConfig writes a config with one source and one sink and the
// embedded broker (on a free port, data in a temp dir) unless kafka holds
// other kafka: lines.
func writeCheckConfig(t *testing.T, srcDSN, dstDSN, kafkaYAML string) string {
	t.Helper()
	dir := t.TempDir()
	if kafkaYAML == "" {
		kafkaYAML = fmt.Sprintf("  embedded:\n    listen: %s\n    data_dir: %s\n", closedAddr(t), filepath.Join(dir, "kafka"))
	}
	body := fmt.Sprintf(`name: shop
kafka:
%sconnectors:
  - name: shop-binlog
    type: mysql-source
    dsn: %q
    server_id: 4242
    tables: ["shop.*"]
  - name: replica-1
    type: mysql-sink
    source: shop-binlog
    dsn: %q
`, kafkaYAML, srcDSN, dstDSN)
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runMain runs the command line and returns its exit code, stdout and stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut, connectors.Builtin)
	t.Logf("sluice %s -> exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

func contains(t *testing.T, out string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, total INT)")
	path := writeCheckConfig(t, src.DSN(""), dst.DSN(""), "")

	code, out, _ := runMain(t, "check", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d for a ready setup", code)
	}
	contains(t, out, "OK      shop-binlog  binlog_format on "+src.Addr()+": ROW",
		"OK      replica-1    read_only on "+dst.Addr(), "(kafka)", "sluice check: ready")

	// Problems: statement logging and a table without a primary key.
	src.Exec(t, "SET GLOBAL binlog_format = 'STATEMENT'", "CREATE TABLE shop.log (msg TEXT)")
	code, out, _ = runMain(t, "check", "--config", path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	contains(t, out, "ERROR   shop-binlog  binlog_format on "+src.Addr()+": is STATEMENT, must be ROW; fix: ",
		"my.cnf [mysqld] binlog_format=ROW", "table shop.log", "ALTER TABLE `shop`.`log` ADD PRIMARY KEY", "exit 1")

	code, out, _ = runMain(t, "check", "--config", path, "--connector", "shop-binlog", "--format", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--format json: %v", err)
	}
	if code != 1 || rep.ExitCode != 1 || rep.Ready {
		t.Errorf("json: exit %d, report exit_code %d ready %v", code, rep.ExitCode, rep.Ready)
	}
	for _, f := range rep.Findings {
		if f.Connector == "replica-1" {
			t.Errorf("--connector shop-binlog also checked replica-1")
		}
	}
}

func TestCheckCommandUnreachable(t *testing.T) {
	addr := closedAddr(t)
	broker := closedAddr(t)
	path := writeCheckConfig(t, "repl:Secret123@tcp("+addr+")/", "root:Secret123@tcp("+addr+")/",
		fmt.Sprintf("  brokers: [%q]\n", broker))
	code, out, errOut := runMain(t, "check", "--config", path)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	contains(t, out, "UNKNOWN shop-binlog  connect on "+addr+": unreachable",
		"UNKNOWN replica-1    connect on "+addr, "UNKNOWN (kafka)      broker "+broker, "could not check everything")
	if strings.Contains(out+errOut, "Secret123") {
		t.Error("the output shows a password")
	}
}

func TestCheckCommandConfigAndFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: shop\nconnectors:\n  - name: x\n    type: mysql-source\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runMain(t, "check", "--config", bad)
	if code != 1 {
		t.Errorf("invalid config: exit %d, want 1", code)
	}
	contains(t, out, "ERROR   (config)  "+bad+":3: connectors[0].dsn: required")

	code, out, _ = runMain(t, "check", "--config", filepath.Join(dir, "absent.yaml"))
	if code != 2 {
		t.Errorf("unreadable config: exit %d, want 2", code)
	}
	contains(t, out, "UNKNOWN (config)", "absent.yaml")

	path := writeCheckConfig(t, "root@tcp(127.0.0.1:1)/", "root@tcp(127.0.0.1:1)/", "")
	if code, _, errOut := runMain(t, "check", "--config", path, "--connector", "nope"); code != 2 || !strings.Contains(errOut, "nope") {
		t.Errorf("unknown --connector: exit %d, %q", code, errOut)
	}
	if code, _, _ := runMain(t, "check", "--config", path, "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code, _, _ := runMain(t, "check"); code != 2 {
		t.Errorf("no --config: exit %d, want 2", code)
	}
	if code, _, _ := runMain(t, "check", "--config", path, "--format", "xml"); code != 2 {
		t.Errorf("--format xml: exit %d, want 2", code)
	}
}

func TestCheckKafkaSetup(t *testing.T) {
	dir := t.TempDir()
	b, err := kafka.StartEmbedded(kafka.EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "broker")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		kafka config.Kafka
		want  []string // "severity subject-part"
	}{
		{"brokers answer", config.Kafka{Brokers: []string{b.Addr()}}, []string{"ok broker " + b.Addr()}},
		{"one of two down", config.Kafka{Brokers: []string{b.Addr(), closedAddr(t)}}, []string{"ok broker", "warn broker"}},
		{"embedded free", config.Kafka{Embedded: config.Embedded{Listen: closedAddr(t), DataDir: filepath.Join(dir, "new", "kafka")}},
			[]string{"ok embedded broker listen", "ok embedded broker data_dir"}},
		{"embedded already running", config.Kafka{Embedded: config.Embedded{Listen: b.Addr(), DataDir: dir}},
			[]string{"warn embedded broker listen", "ok embedded broker data_dir"}},
		{"port taken, data_dir a file", config.Kafka{Embedded: config.Embedded{Listen: busy.Addr().String(), DataDir: filepath.Join(file, "kafka")}},
			[]string{"error embedded broker listen", "error embedded broker data_dir"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := checkKafkaSetup(context.Background(), &config.Config{Kafka: c.kafka})
			var got []string
			for _, f := range fs {
				got = append(got, string(f.Severity)+" "+f.Subject+": "+f.Message)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("finding %d: got %q, want prefix %q", i, got[i], w)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("the check created the data_dir's parent: %v", err)
	}
}

func TestCheckExitCode(t *testing.T) {
	f := func(s ...connector.Severity) []connector.Finding {
		var out []connector.Finding
		for _, x := range s {
			out = append(out, connector.Finding{Severity: x})
		}
		return out
	}
	cases := []struct {
		fs   []connector.Finding
		want int
	}{
		{nil, 0},
		{f(connector.SeverityOK, connector.SeverityWarn), 0},
		{f(connector.SeverityOK, connector.SeverityUnknown), 2},
		{f(connector.SeverityUnknown, connector.SeverityError), 1},
	}
	for _, c := range cases {
		if got := checkExitCode(c.fs); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.fs, got, c.want)
		}
	}
}
