// Package mysql wires the MySQL/MariaDB connectors for the registry
// (connectors.Builtin). The work is done in its sub-packages, one role
// each:
//
//   - source: reads the binlog and publishes row changes, markers and the
//     schema history to Kafka (type mysql-source).
//   - sink: applies one source's changes to a replica, with its checkpoint
//     in the same replica transaction (type mysql-sink).
//   - verify: compares a sink's replica with its source and repairs it.
//   - check: `sluice check` of both types (settings, grants, tables).
//   - internal/catalog: the table model and what changes it (DDL parsing,
//     information_schema reads, table filters, online schema change tools).
//   - internal/dbconn: connections, TLS, server settings, grants, binlog
//     files, and the findings collector of `sluice check`.
//   - internal/keyset: keyset pagination (the key after which a chunk
//     starts) and SQL arguments of values.
//   - internal/report: what status reports share (rates, short errors).
//   - internal/faults: the fault suite's hooks, compiled only with the
//     build tag sluicefault.
//
// This package composes the roles into the two connector types
// (connectors.Builtin): a source that can be checked, a sink that can be
// checked and verified, without any role importing another.
package mysql
