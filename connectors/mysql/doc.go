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
package mysql
