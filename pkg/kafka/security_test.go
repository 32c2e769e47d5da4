package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/certtest"
)

func tlsFiles(t *testing.T, caFile, cert, key string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc
}

// TestEmbeddedTLSAndSASL runs the embedded broker with a TLS listener that
// requires client certificates and a SCRAM user, and checks that a client
// with the right CA, certificate and password produces and reads, and that
// a wrong password, a server certificate from another CA, a plaintext
// client and a missing client certificate are refused with clear errors.
func TestEmbeddedTLSAndSASL(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "ca")
	other := certtest.NewCA(t, dir, "other")
	srv := ca.Server(t, "broker", "127.0.0.1", "localhost")
	cl := ca.Client(t, "sluice")
	serverTLS := tlsFiles(t, ca.CertFile, srv.CertFile, srv.KeyFile)
	serverTLS.ClientCAs, serverTLS.ClientAuth = serverTLS.RootCAs, tls.RequireAndVerifyClientCert
	b, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: dir + "/data", TLS: serverTLS,
		Users: []User{{Mechanism: "SCRAM-SHA-256", Username: "sluice", Password: "Right-Pass-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := func(pass string, tc *tls.Config) *Client {
		m, err := NewSASL("SCRAM-SHA-256", "sluice", pass)
		if err != nil {
			t.Fatal(err)
		}
		return NewClient([]string{b.Addr()}, 0, 1<<20, WithSecurity(Security{TLS: tc, SASL: m}))
	}
	good := client("Right-Pass-1", tlsFiles(t, ca.CertFile, cl.CertFile, cl.KeyFile))
	if _, err := good.EnsureTopic(ctx, TopicSpec{Name: "t", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := good.Produce(ctx, "t", 0, []Record{{Key: []byte("k"), Value: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	r, err := good.NewPartitionReader(ctx, "t", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if rec, err := r.Fetch(ctx); err != nil || string(rec.Value) != "v" {
		t.Fatalf("read back %q, %v", rec.Value, err)
	}
	for _, tc := range []struct {
		name string
		c    *Client
		want string
	}{
		{"wrong password", client("Wrong-Pass-2", tlsFiles(t, ca.CertFile, cl.CertFile, cl.KeyFile)), "during SASL SCRAM-SHA-256 authentication"},
		{"server certificate from another CA", client("Right-Pass-1", tlsFiles(t, other.CertFile, cl.CertFile, cl.KeyFile)), "x509: certificate signed by unknown authority"},
		{"no client certificate", client("Right-Pass-1", tlsFiles(t, ca.CertFile, "", "")), "certificate required"},
		{"plaintext", client("Right-Pass-1", nil), "does it expect TLS? check kafka.tls"},
	} {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		err := tc.c.Ping(pctx)
		pcancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Ping = %v, want an error containing %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "Pass-") {
			t.Errorf("%s: the error quotes a password: %v", tc.name, err)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}
