package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxSnapshotBody bounds the body of POST /snapshot.
const MaxSnapshotBody = 64 << 10

// maxSnapshotTables bounds the tables of one snapshot request.
const maxSnapshotTables = 1000

// SnapshotRequest is the body of POST /snapshot.
type SnapshotRequest struct {
	// Tables are "db.table" names to copy again while streaming.
	Tables []string `json:"tables"`
	// Connector names the mysql-source; it may be left out when the config
	// has one.
	Connector string `json:"connector,omitempty"`
}

// SnapshotFunc publishes a snapshot request and returns the JSON document
// to answer with. An error wrapping ErrBadRequest is the caller's mistake
// (400); any other error is 503. It is called concurrently from handlers.
type SnapshotFunc func(ctx context.Context, req SnapshotRequest) (any, error)

// AuthFunc decides whether a request that changes state may proceed; a
// non-nil error answers 401 with its text.
type AuthFunc func(r *http.Request) error

// ErrBadRequest marks errors that are the client's fault.
var ErrBadRequest = errors.New("bad request")

// HandleSnapshot serves POST /snapshot with f. auth, when not nil, checks
// every request first (issue 8's bearer token plugs in here); nil allows
// all, so keep admin.listen on a trusted interface until then. Call it
// before Serve, at most once.
func (s *Server) HandleSnapshot(f SnapshotFunc, auth AuthFunc) {
	s.mux.HandleFunc("/snapshot", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSONError(w, http.StatusMethodNotAllowed, "use POST with a body like {\"tables\":[\"db.table\"]}")
			return
		}
		if auth != nil {
			if err := auth(r); err != nil {
				writeJSONError(w, http.StatusUnauthorized, err.Error())
				return
			}
		}
		req, code, err := decodeSnapshotRequest(w, r)
		if err != nil {
			writeJSONError(w, code, err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		out, err := f(ctx, req)
		switch {
		case errors.Is(err, ErrBadRequest):
			writeJSONError(w, http.StatusBadRequest, err.Error())
		case err != nil:
			writeJSONError(w, http.StatusServiceUnavailable, err.Error())
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			_ = json.NewEncoder(w).Encode(out)
		}
	})
}

// decodeSnapshotRequest reads a strict, size-limited body.
func decodeSnapshotRequest(w http.ResponseWriter, r *http.Request) (SnapshotRequest, int, error) {
	var req SnapshotRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxSnapshotBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", MaxSnapshotBody)
		}
		return req, http.StatusBadRequest, fmt.Errorf("body: %v; send {\"tables\":[\"db.table\"]}", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, http.StatusBadRequest, errors.New("body: one JSON object expected")
	}
	switch {
	case len(req.Tables) == 0:
		return req, http.StatusBadRequest, errors.New("tables: at least one \"db.table\" required")
	case len(req.Tables) > maxSnapshotTables:
		return req, http.StatusBadRequest, fmt.Errorf("tables: at most %d per request", maxSnapshotTables)
	}
	return req, 0, nil
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
