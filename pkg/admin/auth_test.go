package admin

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-cdc/sluice/pkg/testutil/certtest"
)

// TestBearerTokenAndTLS serves the admin endpoints over TLS with a token:
// read endpoints answer without it, POST /snapshot answers 401 without it or
// with a wrong one, 413 for a body over the limit, 400 for an invalid body,
// and reaches the handler only with the token.
func TestBearerTokenAndTLS(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "ca")
	pair := ca.Server(t, "admin", "127.0.0.1")
	s, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), func() map[string]error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	s.UseTLS(&tls.Config{Certificates: []tls.Certificate{cert}})
	const token = "tok-0123456789abcdef"
	calls := 0
	s.HandleSnapshot(func(context.Context, SnapshotRequest) (any, error) { calls++; return map[string]string{"ok": "1"}, nil },
		BearerToken(token))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = s.Serve(ctx) }()
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	base := "https://" + s.Addr()
	do := func(method, path, auth, body string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ok := `{"tables":["shop.t"]}`
	for _, tc := range []struct {
		method, path, auth, body string
		want                     int
	}{
		{"GET", "/healthz", "", "", 200},
		{"GET", "/metrics", "", "", 200},
		{"POST", "/snapshot", "", ok, 401},
		{"POST", "/snapshot", "Bearer wrong-token-0123456789", ok, 401},
		{"POST", "/snapshot", "Basic " + token, ok, 401},
		{"POST", "/snapshot", "Bearer " + token, `{"tables":["` + strings.Repeat("x", MaxSnapshotBody) + `"]}`, 413},
		{"POST", "/snapshot", "Bearer " + token, `{"tables":["a"],"drop":true}`, 400},
		{"POST", "/snapshot", "Bearer " + token, ok, 202},
	} {
		if got := do(tc.method, tc.path, tc.auth, tc.body); got != tc.want {
			t.Errorf("%s %s (auth %q): %d, want %d", tc.method, tc.path, tc.auth, got, tc.want)
		}
	}
	if calls != 1 {
		t.Errorf("the handler ran %d times, want once (only the authorized valid request)", calls)
	}
	if resp, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Errorf("plain HTTP served on a TLS admin server")
	}
	if err := BearerToken("")(&http.Request{Header: http.Header{"Authorization": {"Bearer "}}}); err != ErrNoToken {
		t.Errorf("empty token: %v, want ErrNoToken", err)
	}
}
