package main

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/certtest"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// Distinctive secrets: no output of any sluice command may contain them.
const (
	replPassword  = "Repl-Zx81-secret"
	sinkPassword  = "Sink-Qv27-secret"
	kafkaPassword = "Kafka-Wy55-secret"
	adminToken    = "Token-Jk93-secret-0123456789"
)

// weirdTable has a name and columns full of characters that break SQL built
// by concatenation: backticks, quotes and unicode.
const weirdTable = "odd`t'b\"ü"

// tlsServer starts MariaDB with a certificate of ca for 127.0.0.1.
func tlsServer(t *testing.T, ca *certtest.CA, name string) *mariadbtest.Server {
	pair := ca.Server(t, name, "127.0.0.1")
	return mariadbtest.Start(t, mariadbtest.Options{ExtraArgs: []string{
		"--ssl-ca=" + ca.CertFile, "--ssl-cert=" + pair.CertFile, "--ssl-key=" + pair.KeyFile}})
}

// rootTLS opens a root pool over TLS (needed once require_secure_transport
// is on).
func rootTLS(t *testing.T, s *mariadbtest.Server) *sql.DB {
	db, err := sql.Open("mysql", s.DSN("")+"?tls=skip-verify&multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// leastPrivilege creates the users docs/security.md documents, and then refuses
// unencrypted connections.
func leastPrivilege(t *testing.T, src, dst *sql.DB) {
	e2e.ExecAll(t, src, `CREATE USER 'repl'@'%' IDENTIFIED BY '`+replPassword+`';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO 'repl'@'%';
GRANT SELECT ON shop.* TO 'repl'@'%';
SET GLOBAL require_secure_transport = ON`)
	e2e.ExecAll(t, dst, `CREATE USER 'sink'@'%' IDENTIFIED BY '`+sinkPassword+`';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON shop.* TO 'sink'@'%';
GRANT CREATE, SELECT, INSERT, UPDATE ON sluice.* TO 'sink'@'%';
SET GLOBAL require_secure_transport = ON`)
}

// secureConfig writes the config of a pipeline that uses TLS everywhere,
// SCRAM to the embedded broker, least-privilege users and secrets from files
// and the environment. srcTLS is the source's tls mapping.
func secureConfig(t *testing.T, dir string, ca *certtest.CA, src, dst *mariadbtest.Server, srcTLS string) (string, string) {
	broker := ca.Server(t, "broker", "127.0.0.1")
	adminPair := ca.Server(t, "admin", "127.0.0.1")
	client := ca.Client(t, "sluice")
	replFile := filepath.Join(dir, "repl-password")
	if err := os.WriteFile(replFile, []byte(replPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kafkaFile := filepath.Join(dir, "kafka-password")
	if err := os.WriteFile(kafkaFile, []byte(kafkaPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	adminAddr := e2e.FreeAddr(t)
	cfg := strings.NewReplacer("@BROKER_PORT@", fmt.Sprint(e2e.FreePort(t)), "@DATA@", filepath.Join(dir, "kafka"),
		"@BCERT@", broker.CertFile, "@BKEY@", broker.KeyFile, "@CA_FILE@", ca.CertFile, "@KAFKA_PW@", kafkaFile,
		"@CCERT@", client.CertFile, "@CKEY@", client.KeyFile, "@ADMIN@", adminAddr, "@REPL_PW@", replFile,
		"@SRC@", src.Addr(), "@SRC_TLS@", srcTLS, "@DST@", dst.Addr(),
		"@ACERT@", adminPair.CertFile, "@AKEY@", adminPair.KeyFile).Replace(`name: test
kafka:
  embedded:
    listen: 127.0.0.1:@BROKER_PORT@
    data_dir: @DATA@
    tls: {cert: @BCERT@, key: @BKEY@, client_ca: @CA_FILE@}
    users: [{mechanism: SCRAM-SHA-512, username: sluice, password: "${file:@KAFKA_PW@}"}]
  tls: {ca: @CA_FILE@, cert: @CCERT@, key: @CKEY@}
  sasl: {mechanism: SCRAM-SHA-512, username: sluice, password: "${file:@KAFKA_PW@}"}
admin:
  listen: @ADMIN@
  token: ${ADMIN_TOKEN}
  tls: {cert: @ACERT@, key: @AKEY@}
connectors:
  - name: src
    type: mysql-source
    dsn: "repl:${file:@REPL_PW@}@tcp(@SRC@)/"
    server_id: 4242
    tables: ["shop.*"]
    snapshot_chunk_size: 100
    tls: @SRC_TLS@
  - name: replica-1
    type: mysql-sink
    source: src
    dsn: "sink:${SINK_PASSWORD}@tcp(@DST@)/"
    tls: {mode: verify-identity, ca: @CA_FILE@}
`)
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, adminAddr
}

// TestSecurePipeline runs a whole pipeline with MySQL TLS verify-identity on
// every connection (require_secure_transport=ON on both servers), an
// embedded broker requiring mutual TLS and SCRAM-SHA-512, least-privilege
// users, secrets from ${file:} and ${VAR}, and an admin token. Identifiers
// with backticks, quotes and unicode replicate. No output of run, check,
// status, verify, /status or /metrics holds a secret. Then it checks that
// `mode: disabled` and a CA that did not sign the server fail clearly.
func TestSecurePipeline(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "ca")
	src, dst := tlsServer(t, ca, "src"), tlsServer(t, ca, "dst")
	sdb, ddb := rootTLS(t, src), rootTLS(t, dst)
	e2e.ExecAll(t, sdb, "CREATE DATABASE shop;\nCREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL, note TEXT NULL)")
	qt := "shop.`" + strings.ReplaceAll(weirdTable, "`", "``") + "`"
	e2e.MustExec(t, sdb, "CREATE TABLE "+qt+" (`k``ey` INT PRIMARY KEY, `va'l\"ue` VARCHAR(50) CHARACTER SET utf8mb4, `ü ñ` INT) DEFAULT CHARSET=utf8mb4")
	for i := 1; i <= 50; i++ {
		e2e.MustExec(t, sdb, "INSERT INTO shop.customers VALUES (?, ?, ?)", i, fmt.Sprintf("c%d 🙂", i), nil)
		e2e.MustExec(t, sdb, "INSERT INTO "+qt+" VALUES (?, ?, ?)", i, fmt.Sprintf("it's \"%d\" `x`", i), i)
	}
	leastPrivilege(t, sdb, ddb)

	cfg, adminAddr := secureConfig(t, dir, ca, src, dst, "{mode: verify-identity, ca: "+ca.CertFile+"}")
	t.Setenv("SINK_PASSWORD", sinkPassword) // inherited by every sluice process
	t.Setenv("ADMIN_TOKEN", adminToken)
	p := e2e.StartProc(t, "sluice.log", "--log-level", "debug", "run", "--config", cfg)
	hc := httpsClient(t, ca.CertFile)
	if waitHTTPOrExit(hc, p, "https://"+adminAddr+"/healthz", 30*time.Second) != nil {
		t.Fatalf("sluice run did not start:\n%s", e2e.Tail(p.Log(), 40))
	}
	e2e.WaitEqual(t, sdb, ddb, 90*time.Second, []*e2e.Proc{p}, "shop.customers")
	e2e.MustExec(t, sdb, "UPDATE "+qt+" SET `va'l\"ue` = CONCAT(`va'l\"ue`, '\\'; DROP TABLE x; --') WHERE `k``ey` <= 10")
	e2e.MustExec(t, sdb, "DELETE FROM "+qt+" WHERE `k``ey` = 20")
	e2e.MustExec(t, sdb, "INSERT INTO shop.customers VALUES (100, 'streamed', 'x')")
	e2e.WaitEqual(t, sdb, ddb, 60*time.Second, []*e2e.Proc{p}, "shop.customers")
	waitWeird(t, sdb, ddb, qt, p)

	outputs := map[string]string{}
	outputs["/status"] = httpsGet(t, hc, "https://"+adminAddr+"/status")
	outputs["/metrics"] = httpsGet(t, hc, "https://"+adminAddr+"/metrics")
	for _, auth := range []string{"", "Bearer " + strings.Repeat("x", len(adminToken))} {
		req, _ := http.NewRequest("POST", "https://"+adminAddr+"/snapshot", strings.NewReader(`{"tables":["shop.customers"]}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST /snapshot with Authorization %q: %d, want 401", auth, resp.StatusCode)
		}
	}
	code, out := e2e.Run(t, "check", "--config", cfg)
	outputs["check"] = out
	if code != 0 || strings.Count(out, "encrypted (") != 2 {
		t.Errorf("check: exit %d, want 0 with both connections encrypted:\n%s", code, out)
	}
	code, out = e2e.Run(t, "status", "--config", cfg)
	outputs["status"] = out
	if code != 0 {
		t.Errorf("status: exit %d:\n%s", code, out)
	}
	code, out = e2e.Run(t, "verify", "--config", cfg)
	outputs["verify"] = out
	if code != 0 {
		t.Errorf("verify: exit %d:\n%s", code, out)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	outputs["run log"] = p.Log()
	for name, text := range outputs {
		for _, s := range []string{replPassword, sinkPassword, kafkaPassword, adminToken} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q:\n%s", name, s, text)
			}
		}
	}

	// An encrypted but unverified connection is a warning.
	unverified, _ := secureConfig(t, t.TempDir(), ca, src, dst, "{mode: required}")
	if code, out := e2e.Run(t, "check", "--config", unverified, "--connector", "src"); code != 0 ||
		!strings.Contains(out, "WARN    src      tls on") || !strings.Contains(out, "is not verified") {
		t.Errorf("check with source tls {mode: required}: exit %d, want 0 and a warning:\n%s", code, out)
	}

	// A source with tls disabled against require_secure_transport, and one
	// trusting another CA, are refused with the key to change.
	other := certtest.NewCA(t, dir, "other")
	for _, tc := range []struct{ tls, want string }{
		{"{mode: disabled}", "require_secure_transport=ON refuses it"},
		{"{mode: verify-identity, ca: " + other.CertFile + "}", "not signed by a CA in tls.ca"},
	} {
		bad, _ := secureConfig(t, t.TempDir(), ca, src, dst, tc.tls)
		code, out := e2e.Run(t, "check", "--config", bad, "--connector", "src")
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("check with source tls %s: exit %d, want 1 and %q:\n%s", tc.tls, code, tc.want, out)
		}
	}
}

// waitWeird waits until the table qt is the same on both servers.
func waitWeird(t *testing.T, sdb, ddb *sql.DB, qt string, p *e2e.Proc) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		_ = ddb.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = ?", weirdTable).Scan(&n)
		if n == 1 {
			if ok, _ := e2e.TablesEqual(t, sdb, ddb, qt); ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Logf("log:\n%s", e2e.Tail(p.Log(), 60))
			t.Fatalf("%s did not converge", qt)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitHTTPOrExit polls url until it answers, p exits, or the timeout.
func waitHTTPOrExit(hc *http.Client, p *e2e.Proc, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if done, _ := p.Exited(); done {
			return fmt.Errorf("exited")
		}
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s", url)
}

// httpsClient trusts only the CA in caFile.
func httpsClient(t *testing.T, caFile string) *http.Client {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func httpsGet(t *testing.T, hc *http.Client, url string) string {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
