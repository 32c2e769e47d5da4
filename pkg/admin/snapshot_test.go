package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandleSnapshot(t *testing.T) {
	s := &Server{mux: http.NewServeMux()}
	var got []SnapshotRequest
	s.HandleSnapshot(func(_ context.Context, req SnapshotRequest) (any, error) {
		if req.Tables[0] == "bad.t" {
			return nil, fmt.Errorf("%w: not selected", ErrBadRequest)
		}
		got = append(got, req)
		return map[string]string{"request": "x"}, nil
	}, func(r *http.Request) error {
		if r.Header.Get("Authorization") == "deny" {
			return fmt.Errorf("bad token")
		}
		return nil
	})
	for _, c := range []struct {
		method, body, auth string
		code               int
	}{
		{"GET", "", "", 405},
		{"POST", `{"tables":["shop.t"]}`, "deny", 401},
		{"POST", `not json`, "", 400},
		{"POST", `{"tables":["shop.t"],"x":1}`, "", 400},
		{"POST", `{"tables":["shop.t"]} {}`, "", 400},
		{"POST", `{"tables":[]}`, "", 400},
		{"POST", `{"tables":["` + strings.Repeat("a", MaxSnapshotBody) + `"]}`, "", 413},
		{"POST", `{"tables":["bad.t"]}`, "", 400},
		{"POST", `{"tables":["shop.t"],"connector":"src"}`, "", 202},
	} {
		req := httptest.NewRequest(c.method, "/snapshot", strings.NewReader(c.body))
		req.Header.Set("Authorization", c.auth)
		w := httptest.NewRecorder()
		s.mux.ServeHTTP(w, req)
		if w.Code != c.code {
			t.Errorf("%s %.30s: %d %s, want %d", c.method, c.body, w.Code, w.Body, c.code)
		}
	}
	if len(got) != 1 || got[0].Connector != "src" || got[0].Tables[0] != "shop.t" {
		t.Errorf("requests passed on: %+v", got)
	}
}
