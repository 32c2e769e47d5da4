// Package mysql holds the MySQL/MariaDB source and sink connectors.
//
// Source data flow: preflight (log_bin ON, binlog_format ROW, row image
// FULL) -> the selected tables' definitions at the start position (schema
// history, below) -> on first start, a consistent snapshot in primary-key
// chunks at a recorded binlog position -> stream the binlog from that
// position. Rows of each transaction are produced to their table topics on
// the partition of their key; after Kafka acknowledged all of them a marker
// on the transaction topic closes the transaction, and only then may the
// position after it be saved in the offsets topic.
//
// Sink data flow: read the transaction topic in order; for each marker take
// exactly the rows it lists from the table-topic partitions (skipping
// copies left by a restarted source), and apply them in one replica
// transaction together with the sink's offsets and the last applied Seq in
// its checkpoint table. Several markers may share one replica commit; one
// marker is never split.
//
// Schema history (ddl*.go, history*.go, stream_ddl.go): the source keeps
// the selected tables' definitions as of the position it reads. At first
// start they are read from information_schema and published on the schema
// topic (kept forever); each DDL in the binlog is parsed with the TiDB
// parser, applied to the definitions in memory, and published (one record
// per table, with its Seq) before the reader goes on, so every row is
// decoded with the definition in force where it was written. A restart
// rebuilds the definitions from the topic as of its recorded position:
// per table, the record with the highest Seq before it. Shadow tables of
// gh-ost and pt-osc are tracked but not replicated; their cut-over RENAME
// becomes the ALTERs run on the copy.
//
// DDL on the sinks (sink_ddl*.go, sink_schema.go): a DDL of selected
// tables is a marker with no rows on the transaction topic. The sink
// applies what came before it, records a fingerprint of the replica tables
// it touches in sluice_ddl, runs it, then commits its offsets past it; a
// restart that finds a changed fingerprint does not run it again. Rows are
// applied with the definition in force at their transaction's Seq (the
// sink's own copy of the history), and routes rename tables on the way.
//
// Verify data flow (Verify, verify*.go): for each table, checksum primary-key
// chunks on the source and the replica at once (COUNT and BIT_XOR of a row
// hash, computed by the servers); settle the chunks that differ in rounds
// (source checksum, source binlog position P, wait until the sink's recorded
// Seq shows P applied, replica checksum, source checksum again), then narrow
// the rest down to rows compared by the same protocol. A row is reported
// only when it held still at the source while the replica, at or past P,
// was read, in two rounds. Repair writes rows under a lock on the sink's
// checkpoint row, so the sink cannot commit in between.
package mysql
