// Package check is `sluice check` for the MySQL connectors: before
// anything runs, it connects to each connector's server and reports what
// must be fixed, with the fix, and what was verified as fine. In: a
// mysql-source's or mysql-sink's config and the pipeline's environment
// (its Kafka, to tell whether the source already runs). Out:
// connector.Finding values. It reads only: no lock, no stream, no write.
//
// Source (source.go): binlog settings (the same checks the source refuses
// to start without), server_id, binlog retention, the selected tables
// (keys, names, cascading foreign keys) and the grants. Sink (sink.go): the
// replica answers and accepts writes, XA RECOVER for workers, and the
// grants on every target database and on checkpoint_db.
package check
