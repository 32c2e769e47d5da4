// Package report holds what the source's and the sink's status reports
// share: a rate meter over a sliding window (rows per second), how often
// a running connector refreshes what its traffic does not tell it, the
// timeout of status queries run for an HTTP handler, and errors shortened
// for one line of `sluice status`.
package report
