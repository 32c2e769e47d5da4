package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors"
)

func TestAdminAddresses(t *testing.T) {
	for _, c := range []struct{ bound, host, want string }{
		{"127.0.0.1:9187", "db1", "127.0.0.1:9187"},
		{"0.0.0.0:9187", "db1", "db1:9187"},
		{"[::]:9187", "db1", "db1:9187"},
		{":9187", "db1", "db1:9187"},
		{"10.0.0.5:9187", "db1", "10.0.0.5:9187"},
	} {
		if got := advertisedAddr(c.bound, c.host); got != c.want {
			t.Errorf("advertisedAddr(%q) = %q, want %q", c.bound, got, c.want)
		}
	}
	for _, c := range []struct{ listen, want string }{
		{":9187", "127.0.0.1:9187"},
		{"0.0.0.0:9187", "127.0.0.1:9187"},
		{"sluice-1:9187", "sluice-1:9187"},
	} {
		if got := dialAddr(c.listen); got != c.want {
			t.Errorf("dialAddr(%q) = %q, want %q", c.listen, got, c.want)
		}
	}
}

// TestStatusNothingReachable runs sluice status with neither Kafka nor any
// admin address listening: exit 2, nothing on stdout, and one line on
// stderr that names each address with why it did not answer and what to
// check, without Go's internals; --log-level debug adds the underlying
// errors, and --format json still prints the report.
func TestStatusNothingReachable(t *testing.T) {
	for _, c := range []struct{ name, kafka, key, run string }{
		{"brokers", "  brokers: [%q]\n", "kafka.brokers", "`sluice run --config %s`"},
		{"embedded", "  embedded:\n    listen: %q\n    data_dir: kafka\n", "kafka.embedded.listen",
			"`sluice run --config %s` (or `sluice broker`, which serves the embedded broker too)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			broker, listen, extra := closedAddr(t), closedAddr(t), closedAddr(t)
			path := filepath.Join(t.TempDir(), "sluice.yaml")
			body := "name: shop\nkafka:\n" + fmt.Sprintf(c.kafka, broker) + fmt.Sprintf("admin:\n  listen: %q\n", listen) +
				"connectors:\n  - {name: src, type: mysql-source, dsn: \"u:p@tcp(127.0.0.1:3306)/\", server_id: 1, tables: [\"shop.*\"]}\n"
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			status := func(args ...string) (int, string, string) {
				var stdout, stderr bytes.Buffer
				code := Main(append([]string{"status", "--config", path, "--admin", extra, "--timeout", "2s"}, args...), &stdout, &stderr, connectors.Builtin)
				return code, stdout.String(), stderr.String()
			}
			want := fmt.Sprintf("sluice: cannot reach Kafka at %s (%s: connection refused) nor any sluice process at "+
				"%s (admin.listen: connection refused), %s (--admin: connection refused); is %s running, and is %s right? "+
				"(--log-level debug shows the underlying errors)\n", broker, c.key, listen, extra, fmt.Sprintf(c.run, path), c.key)
			if code, stdout, stderr := status(); code != 2 || stdout != "" || stderr != want {
				t.Errorf("exit %d, stdout %q, stderr\n%s\nwant exit 2, no stdout, stderr\n%s", code, stdout, stderr, want)
			}
			code, _, stderr := status("--log-level", "debug")
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); code != 2 || lines[len(lines)-1]+"\n" != want ||
				!strings.Contains(stderr, "dial tcp "+broker) || !strings.Contains(stderr, "dial tcp "+listen) {
				t.Errorf("--log-level debug: exit %d, stderr\n%s\nwant the dial errors of %s and %s logged, then the same line", code, stderr, broker, listen)
			}
			code, stdout, _ := status("--format", "json")
			var rep StatusReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 2 ||
				rep.KafkaError != fmt.Sprintf("Kafka at %s (%s: connection refused)", broker, c.key) ||
				len(rep.Processes) != 2 || rep.Processes[0].Error != "connection refused" {
				t.Errorf("--format json: exit %d, %v:\n%s", code, err, stdout)
			}
		})
	}
}

func TestReachReason(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("kafka metadata for t: kafka.(*Client).Metadata: %w", refused), "connection refused"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "kafka-1", IsNotFound: true}}, "host not found"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "kafka-1"}}, "cannot look the host up: server misbehaving"},
		{fmt.Errorf("kafka metadata for t: kafka.(*Client).Metadata: %w", context.DeadlineExceeded), "no answer within 3s"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, "no route to host"},
		// Not about reaching it: the text stays, less kafka-go's method name.
		{errors.New("kafka metadata for t: kafka.(*Client).Metadata: [58] SASL Authentication Failed"), "kafka metadata for t: [58] SASL Authentication Failed"},
		{errors.New("/status answered 404 Not Found"), "/status answered 404 Not Found"},
	} {
		if got := reachReason(c.err, 3*time.Second); got != c.want {
			t.Errorf("reachReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
