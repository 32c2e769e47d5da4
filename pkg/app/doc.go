// Package app wires sluice together: it parses the command line, loads the
// config, starts the embedded broker when no brokers are configured, the
// admin server, and the selected connectors under a supervisor, and stops
// them all on SIGINT/SIGTERM.
//
// Supervision: a connector that fails with a retryable error is rebuilt
// and restarted from its own checkpoint after a backoff (1s doubling to
// 30s); a connector.Fatal error stops the process with that error. No
// connector ever resumes past what it recorded.
package app
