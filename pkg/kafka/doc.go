// Package kafka is sluice's transport: the embedded broker, topic creation,
// acknowledged produce to explicit partitions, and per-partition readers.
//
// Data flow: a source calls Client.Produce once per (topic, partition) batch
// and waits for acks=all before it records any position past that batch. The
// partition of every row is chosen by the caller (event.PartitionFor), never
// by a balancer, so the source knows where each row went and can say so in the
// transaction marker. Sinks read partitions with PartitionReader at offsets
// they store themselves; no consumer group commits on their behalf.
//
// Campaign (leader.go) elects the one process that runs a source when
// several do, through a consumer group of its own protocol type: the leader
// holds a lease shorter than the session timeout, so it stops before the
// coordinator can elect another.
//
// Invariants: Produce either returns the base offset of a batch the broker
// acknowledged from all in-sync replicas, or an error after which the caller
// must assume nothing about that batch (it may or may not be stored) and must
// not acknowledge anything after it.
package kafka
