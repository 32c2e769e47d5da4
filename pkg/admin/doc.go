// Package admin serves the HTTP endpoints every sluice process exposes:
// /healthz (the process is alive), /readyz (every connector it runs is
// connected and running) and /metrics (Prometheus).
package admin
