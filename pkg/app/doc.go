// Package app wires sluice together: it parses the command line, loads the
// config, starts the embedded broker when no brokers are configured, the
// admin server, and the selected connectors under a supervisor, and stops
// them all on SIGINT/SIGTERM.
//
// Supervision: a connector that fails with a retryable error is rebuilt
// and restarted from its own checkpoint after a backoff (1s doubling to
// 30s); a connector.Fatal error stops the process with that error. No
// connector ever resumes past what it recorded.
//
// Status: the supervisor keeps each connector's state (starting, running,
// restarting, failed, stopped), restarts and last error; /status serves
// them with the connectors' own Status, and every process announces the
// same on the pipeline's compacted status topic every few seconds, which
// `sluice status` reads to find the processes.
package app
