package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// TestCheckWarnsLiteralSecrets: check warns about each password or token
// written in the file, never about references, and never prints the value.
func TestCheckWarnsLiteralSecrets(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLUICE_TEST_PW", "from-env")
	file := filepath.Join(dir, "s.yaml")
	src := `name: shop
kafka:
  brokers: ["127.0.0.1:1"]
  sasl: {mechanism: PLAIN, username: u, password: Literal-Kafka-Pw}
admin: {token: Literal-Token-0123456789}
connectors:
  - {name: src, type: mysql-source, dsn: "u:Literal-Db-Pw@tcp(h:3306)/", server_id: 1, tables: ["shop.*"]}
  - {name: a, type: mysql-sink, source: src, dsn: "u:${SLUICE_TEST_PW}@tcp(h:3306)/"}
  - {name: b, type: mysql-sink, source: src, dsn: "u:${file:` + pw + `}@tcp(h:3306)/"}
  - {name: c, type: mysql-sink, source: src, dsn: "u@tcp(h:3306)/"}
`
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, connectors.Builtin.Kinds())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range secretFindings(cfg) {
		if f.Severity != connector.SeverityWarn {
			t.Errorf("%s: severity %s, want warn", f.Subject, f.Severity)
		}
		if strings.Contains(f.Subject+f.Message+f.Fix, "Literal-") {
			t.Errorf("the finding prints the secret: %+v", f)
		}
		got = append(got, strings.Fields(f.Subject)[0])
	}
	if want := "connectors[0].dsn kafka.sasl.password admin.token"; strings.Join(got, " ") != want {
		t.Errorf("warned about %v, want %s", got, want)
	}
}

func TestKafkaSecurityFix(t *testing.T) {
	for msg, want := range map[string]string{
		"unexpected EOF: the broker closed the connection during SASL PLAIN authentication": "kafka.sasl.password",
		"tls: failed to verify certificate: x509: certificate signed by unknown authority":  "kafka.tls.ca",
		"dial tcp 127.0.0.1:1: connect: connection refused":                                 "",
	} {
		if got := kafkaSecurityFix(errors.New(msg)); want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("kafkaSecurityFix(%q) = %q, want one naming %q", msg, got, want)
		}
	}
}
