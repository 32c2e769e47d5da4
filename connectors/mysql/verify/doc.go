// Package verify compares a mysql-sink's replica with its source, table by
// table, while the pipeline runs, and repairs what differs on request.
//
// In: both servers (read only, unless repairing), the source's binlog
// position and the sink's recorded Seq (sluice_offsets), the source's
// checkpoint for its seq base. Out: a connector.VerifyResult per sink.
//
// Data flow (verify.go, table.go, sql.go, fence.go, repair.go): for each table, checksum primary-key
// chunks on the source and the replica at once (COUNT and BIT_XOR of a row
// hash, computed by the servers); settle the chunks that differ in rounds
// (source checksum, source binlog position P, wait until the sink's recorded
// Seq shows P applied, replica checksum, source checksum again), then narrow
// the rest down to rows compared by the same protocol. A row is reported
// only when it held still at the source while the replica, at or past P,
// was read, in two rounds. Repair writes rows under a lock on the sink's
// checkpoint row, so the sink cannot commit in between.
package verify
