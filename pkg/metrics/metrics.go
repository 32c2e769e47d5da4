package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "sluice"

// Metrics holds every metric. Label "pipeline" is the config's name,
// "connector" the connector's name, "table" is "db.table", "op" is c/u/d/r/t.
type Metrics struct {
	Registry *prometheus.Registry

	SourceRowsRead      *prometheus.CounterVec   // pipeline, connector, table, op
	SourceRowsPublished *prometheus.CounterVec   // pipeline, connector, table, op
	SourceTransactions  *prometheus.CounterVec   // pipeline, connector
	SourceBytes         *prometheus.CounterVec   // pipeline, connector
	SourceBinlogFile    *prometheus.GaugeVec     // pipeline, connector: numeric suffix
	SourceBinlogPos     *prometheus.GaugeVec     // pipeline, connector
	SourceLag           *prometheus.GaugeVec     // pipeline, connector: now - commit time of last event read
	SnapshotRows        *prometheus.CounterVec   // pipeline, connector, table
	SnapshotRowsTotal   *prometheus.GaugeVec     // pipeline, connector, table: estimate
	ProduceSeconds      *prometheus.HistogramVec // pipeline, connector
	Reconnects          *prometheus.CounterVec   // pipeline, connector
	SinkRowsApplied     *prometheus.CounterVec   // pipeline, connector, table, op
	SinkTransactions    *prometheus.CounterVec   // pipeline, connector
	SinkCommits         *prometheus.CounterVec   // pipeline, connector
	SinkBatchRows       *prometheus.HistogramVec // pipeline, connector
	SinkSeconds         *prometheus.CounterVec   // pipeline, connector, phase: read, apply, commit
	SinkWorkerBatches   *prometheus.CounterVec   // pipeline, connector, result: applied, fallback
	SinkDuplicates      *prometheus.CounterVec   // pipeline, connector: rows/markers skipped as already applied
	ReplicationLag      *prometheus.GaugeVec     // pipeline, connector: source commit -> sink commit
	ReplicationLagHist  *prometheus.HistogramVec // pipeline, connector
	Errors              *prometheus.CounterVec   // pipeline, connector, kind
	ConnectorUp         *prometheus.GaugeVec     // pipeline, connector: 1 running, 0 stopped or failing
	ConnectorRestarts   *prometheus.CounterVec   // pipeline, connector

	ProduceBatchMessages  *prometheus.HistogramVec // pipeline, connector: messages per produce request
	SourceBinlogRetention *prometheus.GaugeVec     // pipeline, connector: server's binlog expiry in seconds, 0 = never
	SourceBinlogBehind    *prometheus.GaugeVec     // pipeline, connector: bytes of binlog between the recorded position and the server's end
	SourceLeader          *prometheus.GaugeVec     // pipeline, connector: 1 while this process leads (publishes for) the source, 0 as a standby
	SinkLeader            *prometheus.GaugeVec     // pipeline, connector: 1 while this process leads (applies for) the sink, 0 as a standby
	SinkBytes             *prometheus.CounterVec   // pipeline, connector: message bytes consumed
	SinkDeadLettered      *prometheus.CounterVec   // pipeline, connector, topic, reason: poison messages sent to the dead-letter topic
	ConsumerLag           *prometheus.GaugeVec     // pipeline, connector, topic, partition: high watermark - committed offset
	TableQuarantined      *prometheus.GaugeVec     // pipeline, connector, table: 1 while the connector holds the table's changes back

	VerifyRuns          *prometheus.CounterVec   // pipeline, connector, result: equal | differs | error
	VerifyRowsCompared  *prometheus.CounterVec   // pipeline, connector, table
	VerifyRowsDifferent *prometheus.GaugeVec     // pipeline, connector, table, kind: missing | extra | changed, of the last run
	VerifyTablesDiffer  *prometheus.GaugeVec     // pipeline, connector: tables that differed in the last run
	VerifyLastRun       *prometheus.GaugeVec     // pipeline, connector: unix time the last run ended
	VerifySeconds       *prometheus.HistogramVec // pipeline, connector: duration of a run
}

// New builds the metrics and registers them, with Go and process collectors,
// on a new registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pc := []string{"pipeline", "connector"}
	pct := []string{"pipeline", "connector", "table"}
	pcto := []string{"pipeline", "connector", "table", "op"}
	lagBuckets := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	m := &Metrics{
		Registry:            r,
		SourceRowsRead:      counter("source", "rows_read_total", "Row changes read from the binlog or a snapshot.", pcto),
		SourceRowsPublished: counter("source", "rows_published_total", "Row changes acknowledged by Kafka.", pcto),
		SourceTransactions:  counter("source", "transactions_total", "Source transactions published.", pc),
		SourceBytes:         counter("source", "published_bytes_total", "Bytes of message values published.", pc),
		SourceBinlogFile:    gauge("source", "binlog_file_number", "Numeric suffix of the binlog file of the last recorded position.", pc),
		SourceBinlogPos:     gauge("source", "binlog_position", "Offset in the binlog file of the last recorded position.", pc),
		SourceLag:           gauge("source", "lag_seconds", "Now minus the source commit time of the last transaction published.", pc),
		SnapshotRows:        counter("snapshot", "rows_total", "Rows copied by snapshots.", pct),
		SnapshotRowsTotal:   gauge("snapshot", "rows_estimated", "Estimated rows of tables being snapshotted.", pct),
		ProduceSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "kafka", Name: "produce_seconds",
			Help: "Time from sending a batch to Kafka to its acknowledgement.", Buckets: prometheus.DefBuckets,
		}, pc),
		Reconnects:       counter("source", "reconnects_total", "Binlog reconnections.", pc),
		SinkRowsApplied:  counter("sink", "rows_applied_total", "Row changes committed to the replica.", pcto),
		SinkTransactions: counter("sink", "transactions_total", "Source transactions committed to the replica.", pc),
		SinkCommits:      counter("sink", "commits_total", "Replica transactions committed.", pc),
		SinkBatchRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "sink", Name: "batch_rows",
			Help: "Rows per replica commit.", Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}, pc),
		SinkSeconds:       counter("sink", "seconds_total", "Time the applier spent, by phase: read (waiting for and collecting a batch's rows from Kafka), apply (the statements on the replica) and commit (offsets and COMMIT). Mostly read: the sink waits for the source or Kafka; mostly apply and commit: the replica is the bound.", []string{"pipeline", "connector", "phase"}),
		SinkWorkerBatches: counter("sink", "worker_batches_total", "Batches given to the workers (workers > 1), by result: applied (as XA branches at once) or fallback (rolled back, then applied on one connection: a rejected row or a deadlock between workers).", []string{"pipeline", "connector", "result"}),
		SinkDuplicates:    counter("sink", "duplicates_skipped_total", "Rows and markers skipped because they were already applied.", pc),
		ReplicationLag:    gauge("sink", "replication_lag_seconds", "Source commit to replica commit, of the last transaction applied.", pc),
		ReplicationLagHist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "sink", Name: "replication_lag_distribution_seconds",
			Help: "Source commit to replica commit, per transaction.", Buckets: lagBuckets,
		}, pc),
		Errors:            counter("", "errors_total", "Errors by kind.", []string{"pipeline", "connector", "kind"}),
		ConnectorUp:       gauge("", "connector_up", "1 while a connector runs without error.", pc),
		ConnectorRestarts: counter("", "connector_restarts_total", "Times a connector was restarted after an error.", pc),
		ProduceBatchMessages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "kafka", Name: "produce_batch_messages",
			Help: "Messages per produce request.", Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}, pc),
		SourceBinlogRetention: gauge("source", "binlog_retention_seconds", "The source server's binlog expiry (binlog_expire_logs_seconds or expire_logs_days); 0 means binlogs are never purged automatically.", pc),
		SourceBinlogBehind:    gauge("source", "binlog_behind_bytes", "Bytes of binlog between the reader's recorded position and the server's current end.", pc),
		SourceLeader:          gauge("source", "leader", "1 while this process leads the source and publishes its changes, 0 while it waits as a standby (or is stopped).", pc),
		SinkLeader:            gauge("sink", "leader", "1 while this process leads the sink and applies changes to the replica, 0 while it waits as a standby (or is stopped).", pc),
		SinkBytes:             counter("sink", "consumed_bytes_total", "Bytes of message values consumed.", pc),
		SinkDeadLettered:      counter("sink", "dead_lettered_total", "Messages the sink could not apply and sent to its dead-letter topic (errors.tolerance: all), by original topic and reason (decode, rejected): the replica diverges from the source by each.", []string{"pipeline", "connector", "topic", "reason"}),
		ConsumerLag:           gauge("sink", "consumer_lag_messages", "Messages between the sink's committed offset and the partition's high watermark.", []string{"pipeline", "connector", "topic", "partition"}),
		TableQuarantined:      gauge("", "table_quarantined", "1 while the connector holds back a table's changes because of a problem confined to it (on_table_error: quarantine), 0 once it left quarantine: /status names the reason and the fix.", pct),
		VerifyRuns:            counter("verify", "runs_total", "Verify runs by result: equal, differs or error.", []string{"pipeline", "connector", "result"}),
		VerifyRowsCompared:    counter("verify", "rows_compared_total", "Source rows compared with the replica.", pct),
		VerifyRowsDifferent:   gauge("verify", "rows_different", "Rows that differed in the last verify run, by kind: missing, extra or changed.", []string{"pipeline", "connector", "table", "kind"}),
		VerifyTablesDiffer:    gauge("verify", "tables_different", "Tables that differed in the last verify run.", pc),
		VerifyLastRun:         gauge("verify", "last_run_timestamp_seconds", "Unix time the last verify run ended.", pc),
		VerifySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "verify", Name: "duration_seconds",
			Help: "Duration of verify runs.", Buckets: prometheus.ExponentialBuckets(0.1, 4, 10),
		}, pc),
	}
	r.MustRegister(m.SourceRowsRead, m.SourceRowsPublished, m.SourceTransactions, m.SourceBytes,
		m.SourceBinlogFile, m.SourceBinlogPos, m.SourceLag, m.SnapshotRows, m.SnapshotRowsTotal,
		m.ProduceSeconds, m.Reconnects, m.SinkRowsApplied, m.SinkTransactions, m.SinkCommits,
		m.SinkBatchRows, m.SinkSeconds, m.SinkWorkerBatches, m.SinkDuplicates, m.ReplicationLag, m.ReplicationLagHist, m.Errors, m.ConnectorUp,
		m.ConnectorRestarts, m.ProduceBatchMessages, m.SourceBinlogRetention, m.SourceBinlogBehind, m.SinkBytes,
		m.ConsumerLag, m.VerifyRuns, m.VerifyRowsCompared, m.VerifyRowsDifferent, m.VerifyTablesDiffer,
		m.VerifyLastRun, m.VerifySeconds, m.SinkDeadLettered)
	r.MustRegister(m.TableQuarantined)
	r.MustRegister(m.SourceLeader)
	r.MustRegister(m.SinkLeader)
	return m
}

func counter(sub, name, help string, labels []string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help}, labels)
}

func gauge(sub, name, help string, labels []string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help}, labels)
}
