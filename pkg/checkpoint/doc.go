// Package checkpoint stores a source's position in a compacted Kafka topic,
// so the sidecar itself keeps no state on disk.
//
// Data flow: the source calls Save after Kafka acknowledged every message of
// the transactions up to the position, and only at a transaction boundary.
// On start it calls Load, which reads the topic to its end and returns the
// newest state saved under the connector's key by the highest leader epoch:
// an elected source first Claims an epoch above every one recorded, and a
// deposed leader's later states (lower epoch) are ignored.
//
// A state names the server its position belongs to (server_id, server_uuid,
// gtid_domain_id, flavor) and carries the seq base the source adds to binlog
// file numbers in Seqs (0 until the source follows a failover to another
// server): states written before these fields existed decode with them empty
// and mean what they always did.
package checkpoint
