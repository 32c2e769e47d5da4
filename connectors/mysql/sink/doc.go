// Package sink is the mysql-sink connector: it replays one source's
// changes from Kafka into a replica MySQL/MariaDB server, exactly once.
//
// In: the source's transaction, table and schema topics. Out: rows, DDL
// and the sink's checkpoint (offsets and the last applied Seq, in
// <checkpoint_db>.sluice_offsets) written in one replica transaction;
// dead letters under errors.tolerance all.
//
// Files: sink.go (the connector and its start), leader.go (Run: election
// and the replica-side epoch fence), read.go and prefetch.go (markers and
// their rows, decoded ahead), apply.go (one replica transaction), merge.go,
// sql.go and pipe.go (statements), stream.go (transactions too large for
// memory), workers.go (XA branches), ddl*.go and schema.go (DDL and the
// sink's schema history), route.go (routes), poison.go (dead letters),
// faults.go (resume checks), check.go, status.go, config.go (its keys in
// the config file: Config, decoded and checked for config.Load).
//
// Sink data flow: read the transaction topic in order; for each marker take
// exactly the rows it lists from the table-topic partitions (skipping
// copies left by a restarted source), and apply them in one replica
// transaction together with the sink's offsets and the last applied Seq in
// its checkpoint table. Several markers may share one replica commit (up
// to batch_rows rows and batch_bytes of messages; a DDL marker is alone);
// one marker is never split. Within a commit the rows of its markers are
// merged per table (merge.go): the last image of each key is written
// in multi-row upserts and deleted keys in batched DELETEs, or, where the
// replica's unique keys could make the order matter, the rows keep their
// statement order, consecutive ones still sharing a statement
// (sql.go builds the statements). Within a commit, the next
// statement is built while the replica runs the one before (pipe.go).
// With workers > 1 (workers.go) a batch's rows are split by key among
// that many replica connections, each applying its share as an XA branch;
// the offsets are committed once every branch is prepared, then the
// branches, and a start settles branches a crash left prepared by the
// recorded offsets.
//
// Leaders (leader.go, pkg/leader): a sink run by several
// processes elects one through a Kafka consumer group
// (_sluice.<pipeline>.<connector>.leader); the others are standbys. Source
// transactions are applied atomically in commit order by one writer, so
// extra sink processes add availability, not throughput. An elected sink
// raises its epoch in <checkpoint_db>.sluice_leaders before it reads its
// offsets, and every replica commit locks and checks that row in the same
// transaction as the rows: a deposed applier's commit is refused. A source
// leader claims an epoch in its checkpoint topic (pkg/checkpoint).
//
// DDL (ddl*.go, schema.go): a DDL of selected
// tables is a marker with no rows on the transaction topic. The sink
// applies what came before it, records a fingerprint of the replica tables
// it touches in sluice_ddl, runs it, then commits its offsets past it; a
// restart that finds a changed fingerprint does not run it again. Rows are
// applied with the definition in force at their transaction's Seq (the
// sink's own copy of the history), and routes rename tables on the way.
package sink
