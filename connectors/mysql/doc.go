// Package mysql holds the MySQL/MariaDB source and sink connectors.
//
// Source data flow: preflight (log_bin ON, binlog_format ROW, row image
// FULL) -> load the selected tables' definitions -> publish them on the
// schema topic -> on first start, a consistent snapshot in primary-key
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
