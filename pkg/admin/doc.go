// Package admin serves the HTTP endpoints every sluice process exposes:
// /healthz (the process is alive), /readyz (every connector it runs is
// connected and running), /metrics (Prometheus), /status (where each
// connector stands, as JSON: ProcessStatus), POST /snapshot (behind the
// admin token) and, only when HandlePprof is called (sluice run --pprof),
// Go's profiles under /debug/pprof/.
package admin
