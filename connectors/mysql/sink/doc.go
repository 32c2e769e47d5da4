// Package sink is the mysql-sink connector: it replays one source's
// changes from Kafka into a replica MySQL/MariaDB server, exactly once.
//
// In: the source's transaction, table and schema topics. Out: rows, DDL
// and the sink's checkpoint (offsets and the last applied Seq, in
// <checkpoint_db>.sluice_offsets) written in one replica transaction;
// dead letters under errors.tolerance all.
//
// Roles: Sink (sink.go, leader.go, status.go, faults.go) is the
// driver: Run elects the applier, runLeader wires the roles below for one
// term and loops batcher -> applier. Each role is a type with its contract
// on it and a back-pointer to the Sink:
//   - Offsets (offsets.go): the checkpoint table sluice_offsets, the one
//     home of its format for the sink, verify and repair; lease
//     (leader.go) is the epoch in sluice_leaders that every save checks.
//   - batcher (batcher.go, prefetch.go, stream.go): markers and their rows
//     from Kafka into batches, decoded ahead; the rows of a transaction too
//     large for memory are read while applied.
//   - applier (apply.go, careful.go, writer.go, merge.go, sql.go, pipe.go,
//     uniquekeys.go, range.go, workers.go): one batch into one replica
//     transaction with its offsets; writer builds and runs the statements
//     of one transaction; workers apply as XA branches.
//   - ddlRunner (ddl.go, ddl_plan.go, tables.go) with schemaHistory
//     (schema.go): DDL on the replica, the replica tables, and the sink's
//     copy of the schema history.
//   - deadLetters (deadletters.go): poison messages.
//   - quarantine (quarantine.go): tables held back after the replica
//     rejected one of their rows (on_table_error).
//   - routes (route.go): source tables to replica tables.
//
// config.go holds the sink's keys in the config file (Config, decoded and
// checked for config.Load).
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
