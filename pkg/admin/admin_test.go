package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "sluice_test_total", Help: "x"})
	reg.MustRegister(c)
	c.Inc()
	var broken atomic.Bool
	s, err := Listen("127.0.0.1:0", reg, func() map[string]error {
		if broken.Load() {
			return map[string]error{"src": nil, "sink": errors.New("replica unreachable")}
		}
		return map[string]error{"src": nil, "sink": nil}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"sink":"ready"`) {
		t.Errorf("/readyz = %d %s", code, body)
	}
	broken.Store(true)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "replica unreachable") {
		t.Errorf("/readyz with a failing connector = %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "sluice_test_total 1") {
		t.Errorf("/metrics = %d %s", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}

func TestBusyAddressNamesTheKey(t *testing.T) {
	s, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	if _, err := Listen(s.Addr(), prometheus.NewRegistry(), nil); err == nil || !strings.Contains(err.Error(), "admin.listen") {
		t.Errorf("a busy address should fail naming admin.listen: %v", err)
	}
}
