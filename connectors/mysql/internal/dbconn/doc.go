// Package dbconn opens and inspects the MySQL/MariaDB servers the
// connectors talk to. In: a DSN and the connector's TLS settings. Out: a
// *sql.DB with the session settings sluice relies on (Open: UTC, utf8mb4,
// no implicit conversions; WithSinkParams for a replica), the server's
// identity and settings (ServerInfo, Settings, Preflight), its grants
// (Grants), its binlog files and retention, its registered replicas, and
// the TLS of the binlog connection (BinlogTLS).
//
// Checker collects the findings of `sluice check` for one connector: each
// check adds what it found, with the fix, and what it verified as fine.
package dbconn
