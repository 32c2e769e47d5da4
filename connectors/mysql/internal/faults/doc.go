// Package faults holds the hooks the fault suite uses to end a process in
// a window a SIGKILL from outside hits only by chance: the source after
// Kafka acknowledged a flush but before the position moved, the sink
// between the steps of a workers' batch or after a DDL before its offsets.
//
// The hooks read SLUICE_TEST_* environment variables and call os.Exit(3)
// (LegacyTopics instead makes the source name topics as older versions did).
// They are compiled only with the build tag sluicefault (on.go), which the
// end-to-end tests build the binary with; the production build (off.go)
// holds no-ops that read nothing, so no variable can make a deployed
// sluice exit.
package faults
