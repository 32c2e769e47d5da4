// Package admin serves the HTTP endpoints every sluice process exposes:
// /healthz (the process is alive), /readyz (every connector it runs is
// connected and running), /metrics (Prometheus), /status (where each
// connector stands, as JSON: ProcessStatus), POST /snapshot (behind the
// admin token) and, only when HandlePprof is called (sluice run --pprof),
// Go's profiles under /debug/pprof/.
//
// The read-only endpoints answer GET and HEAD; any other method gets 405
// with Allow: GET, HEAD, so a stray POST cannot pass for a change that was
// made. POST /snapshot answers other methods 405 with Allow: POST.
package admin
