// Package event defines what travels from a source to its sinks: the
// Debezium-compatible change envelope, the transaction marker that closes each
// source transaction, the table definitions that let a sink create tables, and
// the ordering key (Seq) that makes replays detectable.
//
// Data flow: a source turns each committed row change into a Change, keyed by
// its primary-key columns, and writes it to the topic of its table, on the
// partition PartitionFor(key). After the last row of a transaction it writes one
// TxMarker to the source's transaction topic listing how many rows went to each
// partition. A sink reads the transaction topic in order and, for each marker,
// takes exactly those rows from the partitions, so a source transaction is never
// split across replica commits.
//
// Invariant: Seq values grow strictly with commit order within one source, and
// the same source transaction always gets the same Seq, so a sink can drop any
// marker or row whose Seq it has already applied.
package event
