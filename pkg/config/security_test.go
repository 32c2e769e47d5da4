package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/certtest"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestSecurityKeys(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "ca")
	srv := ca.Server(t, "srv", "127.0.0.1")
	cl := ca.Client(t, "cl")
	secret := filepath.Join(dir, "pw")
	if err := os.WriteFile(secret, []byte("fr0m-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `name: shop
kafka:
  brokers: ["k:9093"]
  tls: {ca: ` + ca.CertFile + `, cert: ` + cl.CertFile + `, key: ` + cl.KeyFile + `}
  sasl: {mechanism: SCRAM-SHA-512, username: sluice, password: "${file:` + secret + `}"}
  embedded:
    tls: {cert: ` + srv.CertFile + `, key: ` + srv.KeyFile + `, client_ca: ` + ca.CertFile + `}
    users: [{mechanism: PLAIN, username: u, password: "${PW}"}]
admin:
  tls: {cert: ` + srv.CertFile + `, key: ` + srv.KeyFile + `}
  token: "${TOKEN}"
connectors:
  - name: src
    type: fake-source
    dsn: "u:${PW}@tcp(h:3306)/"
    id: 1
    tables: ["shop.*"]
    tls: {mode: verify-identity, ca: ` + ca.CertFile + `, server_name: db.example}
  - name: dst
    type: fake-sink
    source: src
    dsn: "u:literal@tcp(r:3306)/"
`
	t.Setenv("PW", "p")
	t.Setenv("TOKEN", "0123456789abcdef0")
	c, err := config.Parse([]byte(src), filepath.Join(dir, "t.yaml"), fakeKinds)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.SASL.Password != "fr0m-file" {
		t.Errorf("${file:} = %q, want the file without its newline", c.Kafka.SASL.Password)
	}
	if m := c.Connectors[1].TLS.Mode; m != config.TLSPreferred {
		t.Errorf("default tls.mode = %q, want preferred", m)
	}
	if m := c.Connectors[0].TLS; m.Mode != config.TLSVerifyIdentity || m.CA != ca.CertFile || m.ServerName != "db.example" {
		t.Errorf("tls = %+v", m)
	}
	if got := c.LiteralSecrets(); strings.Join(got, ",") != "connectors[1].dsn" {
		t.Errorf("LiteralSecrets = %v, want [connectors[1].dsn]", got)
	}
	if _, err := c.Kafka.TLS.ClientConfig(); err != nil {
		t.Errorf("kafka.tls: %v", err)
	}
	if _, err := c.Admin.TLS.ServerConfig(); err != nil {
		t.Errorf("admin.tls: %v", err)
	}
}

func TestSecurityErrors(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "ca")
	cl := ca.Client(t, "cl")
	other := certtest.NewCA(t, dir, "other").Client(t, "x")
	src := head + `  - name: src
    type: fake-source
    dsn: "u:p@tcp(h:3306)/?tls=true"
    id: 1
    tables: ["shop.*"]
    tls: {mode: verify-everything, cert: ` + cl.CertFile + `}
  - name: dst
    type: fake-sink
    source: src
    dsn: "u@tcp(r:3306)/"
    tls: {ca: /nonexistent/ca.pem, cert: ` + cl.CertFile + `, key: ` + other.KeyFile + `}
kafka:
  sasl: {mechanism: GSSAPI, password: "s3cret-value"}
  embedded: {tls: {cert: ` + cl.CertFile + `}}
admin: {token: short}
`
	errs := configtest.ParseErrs(t, src, fakeKinds)
	configtest.CheckErrs(t, errs, []string{
		"8 connectors[0].tls.mode: |\"verify-everything\" is not allowed; use disabled, preferred, required, verify-ca or verify-identity",
		"8 connectors[0].tls.key: |required with connectors[0].tls.cert",
		"13 connectors[1].tls.ca: |/nonexistent/ca.pem: no such file",
		"13 connectors[1].tls.cert: |private key does not match public key",
		"15 kafka.sasl.mechanism: |use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
		"15 kafka.sasl.username: |required",
		"16 kafka.embedded.tls.key: |required",
		"17 admin.token: |shorter than 16 characters",
	})
	if strings.Contains(errs.Error(), "s3cret-value") {
		t.Errorf("an error quotes the password: %v", errs)
	}
	if _, err := config.Parse([]byte(head+srcConn+"kafka: {sasl: {mechanism: PLAIN, username: u, password: \"${file:/nonexistent/pw}\"}}\n"), "t.yaml", fakeKinds); err == nil ||
		!strings.Contains(err.Error(), "${file:/nonexistent/pw}: no such file or directory") {
		t.Errorf("missing secret file: %v", err)
	}
}
