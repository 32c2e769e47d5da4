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

// TestMethods checks that the read-only endpoints answer GET and HEAD and
// refuse every other method with 405 and Allow: GET, HEAD, without running
// their handler, and that POST /snapshot refuses the other methods with
// Allow: POST.
func TestMethods(t *testing.T) {
	s, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), func() map[string]error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var statusCalls, snapshotCalls atomic.Int32
	s.HandleStatus(func(context.Context) ProcessStatus { statusCalls.Add(1); return ProcessStatus{} })
	s.HandleSnapshot(func(context.Context, SnapshotRequest) (any, error) { snapshotCalls.Add(1); return nil, nil }, nil)
	s.HandlePprof(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	do := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+s.Addr()+path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Allow")
	}
	readOnly := []string{"/healthz", "/readyz", "/metrics", "/status", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"}
	for _, path := range readOnly {
		for _, m := range []string{"GET", "HEAD"} {
			if code, _ := do(m, path); code != 200 {
				t.Errorf("%s %s = %d, want 200", m, path, code)
			}
		}
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			if code, allow := do(m, path); code != 405 || allow != "GET, HEAD" {
				t.Errorf("%s %s = %d, Allow %q; want 405, Allow \"GET, HEAD\"", m, path, code, allow)
			}
		}
	}
	if n := statusCalls.Load(); n != 2 {
		t.Errorf("/status ran %d times, want 2 (GET and HEAD only)", n)
	}
	// go tool pprof may POST addresses to symbol (net/http/pprof's protocol).
	if code, _ := do("POST", "/debug/pprof/symbol"); code != 200 {
		t.Errorf("POST /debug/pprof/symbol = %d, want 200", code)
	}
	for _, m := range []string{"GET", "HEAD", "PUT", "DELETE", "PATCH"} {
		if code, allow := do(m, "/snapshot"); code != 405 || allow != "POST" {
			t.Errorf("%s /snapshot = %d, Allow %q; want 405, Allow \"POST\"", m, code, allow)
		}
	}
	if n := snapshotCalls.Load(); n != 0 {
		t.Errorf("the snapshot handler ran %d times, want 0", n)
	}
}
