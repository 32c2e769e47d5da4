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
// Encoding and decoding are hand-written for speed (encode.go, decode_fast.go
// over the scanner of decode_scan.go) and give exactly encoding/json's
// results: the decoders read what sluice writes and hand anything else (odd
// keys, type mismatches, syntax errors) to encoding/json, which decides and
// words the error.
//
// Invariant: Seq values grow strictly with commit order within one source, and
// the same source transaction always gets the same Seq, so a sink can drop any
// marker or row whose Seq it has already applied.
package event
