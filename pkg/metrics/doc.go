// Package metrics declares every Prometheus metric sluice exports, in one
// place, under the namespace "sluice". Components receive a *Metrics built on
// a registry the caller owns; nothing registers on the global default
// registry. Dashboards and alert rules in deploy/ may only use names declared
// here.
package metrics
