package admin

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// servePprof starts an admin server, with HandlePprof(auth) when on, and
// returns a function that GETs a path with an optional bearer token.
func servePprof(t *testing.T, on bool, auth AuthFunc) func(path, token string) (int, string) {
	t.Helper()
	s, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), func() map[string]error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if on {
		s.HandlePprof(auth)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+s.Addr()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

func TestPprofOffByDefault(t *testing.T) {
	get := servePprof(t, false, nil)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		if code, _ := get(p, ""); code != http.StatusNotFound {
			t.Errorf("%s without HandlePprof = %d, want 404", p, code)
		}
	}
}

func TestPprofServesProfiles(t *testing.T) {
	get := servePprof(t, true, nil)
	if code, body := get("/debug/pprof/heap?debug=1", ""); code != 200 || !strings.Contains(body, "heap profile:") {
		t.Errorf("/debug/pprof/heap?debug=1 = %d %.80q", code, body)
	}
	// A CPU profile is gzipped protobuf: gzip's magic bytes first.
	if code, body := get("/debug/pprof/profile?seconds=1", ""); code != 200 || !strings.HasPrefix(body, "\x1f\x8b") {
		t.Errorf("/debug/pprof/profile?seconds=1 = %d %.40q", code, body)
	}
	if code, body := get("/debug/pprof/goroutine?debug=1", ""); code != 200 || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("/debug/pprof/goroutine?debug=1 = %d %.80q", code, body)
	}
}

func TestPprofHonoursToken(t *testing.T) {
	const token = "pprof-token-0123456789"
	get := servePprof(t, true, BearerToken(token))
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 401}, {"wrong-token-0123456789", 401}, {token, 200}} {
		if code, body := get("/debug/pprof/heap?debug=1", tc.token); code != tc.want {
			t.Errorf("/debug/pprof/heap with token %q = %d %.80q, want %d", tc.token, code, body, tc.want)
		}
	}
	if code, _ := get("/debug/pprof/profile?seconds=1", ""); code != 401 {
		t.Errorf("/debug/pprof/profile without the token = %d, want 401", code)
	}
}
