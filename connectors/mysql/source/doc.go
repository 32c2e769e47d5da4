// Package source is the mysql-source connector: it reads a MySQL/MariaDB
// binlog and publishes every committed row change of the selected tables to
// Kafka, with the schema history and the transaction markers the sinks need.
//
// In: the server's binlog (go-mysql's replication stream), snapshot reads
// (information_schema and keyset-chunked SELECTs), snapshot requests on the
// signal topic. Out: row changes on the table topics, markers on the
// transaction topic, schema records on the schema topic, and the source's
// checkpoint (pkg/checkpoint) in the offsets topic.
//
// Files: source.go (the connector: New, Run under the leader election,
// its start), leader.go (the leader's checkpoint epoch), stream*.go (the
// binlog reader), rows.go (row events to changes), history.go (schema
// history), snapshot*.go (initial and incremental snapshots), failover.go
// (another server), quarantine.go (tables held back by a problem of their
// own), xa.go, mysql8.go, status.go, config.go (its
// keys in the config file: Config, decoded and checked for config.Load).
// The publisher is package publish; GTID sets and the binlog dialer
// internal/binlog.
//
// Source data flow: preflight (log_bin ON, binlog_format ROW, row image
// FULL) -> the selected tables' definitions at the start position (schema
// history, below) -> on first start, a consistent snapshot in primary-key
// chunks at a recorded binlog position -> stream the binlog from that
// position. Rows of each transaction are produced to their table topics on
// the partition of their key; after Kafka acknowledged all of them a marker
// on the transaction topic closes the transaction, and only then may the
// position after it be saved in the offsets topic. The reader does not wait
// for Kafka (package publish): it seals batches of rows and markers and
// decodes on while a bounded number of them (by count and bytes) are
// produced in order, rows before the markers that count them; the position
// follows the acknowledged batches, always at a transaction boundary.
//
// Leaders (Run, pkg/leader): a source run by several
// processes elects one through a Kafka consumer group
// (_sluice.<pipeline>.<connector>.leader); the others are standbys. Source
// transactions are applied atomically in commit order by one writer, so
// extra sink processes add availability, not throughput. An elected sink
// raises its epoch in <checkpoint_db>.sluice_leaders before it reads its
// offsets, and every replica commit locks and checks that row in the same
// transaction as the rows: a deposed applier's commit is refused. A source
// leader claims an epoch in its checkpoint topic (pkg/checkpoint).
//
// Clocks: ordering and dedupe never read a clock. The sink applies in
// transaction-topic offset order and passes over what its recorded Seq
// (binlog file number and position) already covers; the source resumes
// from the checkpoint of the highest epoch. Wall-clock readings go through
// pkg/clock: envelope and snapshot ts_ms (clock.Now, informational) and
// lag (clock.Since: the clock at start advanced by the monotonic clock,
// never negative), so a step of the host's clock changes neither order,
// dedupe, leases (monotonic timers) nor lag.
//
// Schema history (history.go, stream_ddl.go; the table model and DDL parsing
// live in internal/catalog): the source keeps
// the selected tables' definitions as of the position it reads. At first
// start they are read from information_schema and published on the schema
// topic (kept forever); each DDL in the binlog is parsed with the TiDB
// parser, applied to the definitions in memory, and published (one record
// per table, with its Seq) before the reader goes on, so every row is
// decoded with the definition in force where it was written. A restart
// rebuilds the definitions from the topic as of its recorded position:
// per table, the record with the highest Seq before it. Shadow tables of
// gh-ost and pt-osc are tracked but not replicated; their cut-over RENAME
// becomes the ALTERs run on the copy.
//
// Failover (failover.go, internal/binlog): the checkpoint names the server its
// position belongs to (server_id, server_uuid on MySQL, gtid_domain_id on
// MariaDB, flavor). A source started on another server (the old one
// replaced by its replica) does not trust the recorded binlog coordinates,
// which mean nothing there. It takes the GTID set it published up to: the
// recorded position's, or the GTID set of the last marker on the
// transaction topic when that is newer (transactions published but not
// yet recorded are then not read again: with new Seqs the sinks would
// apply them twice and rows would move back in time). The new server must
// hold that set (MariaDB @@gtid_binlog_pos: per domain a seq_no at least
// as high; MySQL @@gtid_executed: a superset), else the source stops
// naming the missing GTIDs. Then the set is translated once into the new
// server's coordinates: the position where its binlog passes the set
// (from the newest binlog file whose Gtid_list / Previous_gtids is in the
// set, replaying its GTID events until the first one outside it), and the
// state moves there with the new identity, saved before anything is read.
// From then on the source streams by file:pos as on any server, so every
// other part (positions compared, XA holds, captures, status) keeps
// working in one server's coordinates; go-mysql's StartSyncGTID is not
// used. Where no such position exists (purged, or several MariaDB domains
// or a MySQL replica without commit order written in another order), the
// source refuses. A server without GTIDs (MySQL gtid_mode OFF) refuses.
//
// Seqs across servers: a Seq is the binlog file number, position and
// chunk, compared as a fixed-width string, and the new server's
// coordinates may be lower than the old one's: its transactions would look
// older than those already applied and be skipped. The checkpoint keeps a
// seq base (seq_base, 0 until a failover) added to the file number of
// every Seq the source makes; a failover sets it to one above the file
// field of the highest Seq published (recorded Seq, reserved snapshot
// Seqs, the last marker and the last schema record), so every new Seq is
// above every old one, the three-field form stays, and sinks, markers and
// stored sluice_offsets need no change. The schema history is rebuilt as
// of the old position in the old Seqs. Verify reads the seq base from the
// source's checkpoint (VerifyOptions.Kafka) to place the new server's
// positions among the raised Seqs; without it, its fence refuses rather
// than compare at a wrong point.
package source
