// Package admin serves the HTTP endpoints every sluice process exposes:
// /healthz (the process is alive), /readyz (every connector it runs is
// connected and running), /metrics (Prometheus) and /status (where each
// connector stands, as JSON: ProcessStatus).
package admin
