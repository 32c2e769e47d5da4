package admin

import (
	"net/http"
	"net/http/pprof"
)

// HandlePprof serves Go's runtime profiles (net/http/pprof) under
// /debug/pprof/: the index, cmdline, profile (CPU, ?seconds=N), symbol,
// trace and every named profile (heap, allocs, goroutine, block, mutex,
// threadcreate). auth, when not nil, must pass for every one of them (401
// otherwise); nil serves them to anyone who reaches the admin address.
// They answer GET and HEAD (and POST for symbol), other methods 405.
// Without a call the paths answer 404. Call it before Serve, at most once.
func (s *Server) HandlePprof(auth AuthFunc) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also serves the named profiles
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	var h http.Handler = mux
	if auth != nil {
		h = RequireAuth(auth, mux)
	}
	s.mux.Handle("GET /debug/pprof/", h)
	s.mux.Handle("POST /debug/pprof/symbol", h) // symbol also reads addresses from a POST body
}
