package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

// ProcessStatus is the /status document of one sluice process: who it is
// and where each of its connectors stands. `sluice status` reads it from
// the processes, and from their announcements on the pipeline's status
// topic when a process does not answer.
type ProcessStatus struct {
	PID      int    `json:"pid"`
	Host     string `json:"host"`
	Version  string `json:"version"`
	Pipeline string `json:"pipeline"`
	// Admin is the address other hosts reach this process's admin server
	// at: the bound address, with the host name when it listens on all
	// interfaces.
	Admin      string             `json:"admin"`
	Started    time.Time          `json:"started"`
	Time       time.Time          `json:"time"` // when this document was made
	Connectors []connector.Status `json:"connectors"`
}

// StatusFunc returns the /status document. It is called concurrently from
// HTTP handlers, with the request's context bounded by StatusTimeout; it
// must return by then with what it has.
type StatusFunc func(ctx context.Context) ProcessStatus

// StatusTimeout bounds one /status request.
const StatusTimeout = 5 * time.Second

// HandleStatus serves f at GET /status. Call it before Serve, at most once.
func (s *Server) HandleStatus(f StatusFunc) {
	s.mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), StatusTimeout)
		defer cancel()
		st := f(ctx)
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
	})
}
