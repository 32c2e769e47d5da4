// Package publish produces a source's changes to Kafka in the order the
// sinks rely on. In: the reader's transactions (Begin, Add, Commit) and
// DDL markers. Out: row messages on the table topics, each keyed and on
// the partition of its key, then a marker on the transaction topic that
// counts them, sent only once Kafka acknowledged every row it counts.
//
// Sealed batches are produced in the background (flight.go) while the
// reader decodes on, a bounded number in flight by count and bytes, rows
// before the markers that count them. The positions the source may record
// (Acked, AckedSeq) move on only as batches are acknowledged, in order, and
// always at a transaction boundary. A failed batch halts the publisher:
// nothing after it is produced.
package publish
