package config

import (
	"fmt"
	"path/filepath"
)

// Defaults of the optional keys.
const (
	DefaultPartitions      = 3
	DefaultMaxMessageBytes = 1 << 20
	// DefaultCompression: lz4 produced row changes as fast as none or
	// faster (fewer bytes to write and fsync) and stored 8-11x fewer bytes
	// (BenchmarkProduceCompression in pkg/kafka, sluice-bench).
	DefaultCompression       = "lz4"
	DefaultEmbeddedListen    = "127.0.0.1:9092"
	DefaultDataDir           = "./data/kafka"
	DefaultAdminListen       = "127.0.0.1:9187"
	DefaultSnapshot          = "initial"
	DefaultSnapshotChunkSize = 5000
	// DefaultSnapshotParallelism copies two tables at once: a second
	// connection hides most of one table's query latency without loading
	// the source much.
	DefaultSnapshotParallelism = 2
	// MaxSnapshotParallelism bounds snapshot_parallelism (connections held
	// open on the source during the initial snapshot).
	MaxSnapshotParallelism = 32
	// MaxSinkWorkers bounds a sink's workers (replica connections applying
	// one batch at once).
	MaxSinkWorkers   = 16
	DefaultFlavor    = "auto"
	DefaultBatchRows = 5000
	// DefaultBatchBytes bounds a replica commit by the size of the messages
	// it applies (16 MiB): wide rows reach it long before batch_rows.
	DefaultBatchBytes   = 16 << 20
	DefaultCheckpointDB = "sluice"
)

// ApplyDefaults fills in the keys that are not set, and makes
// Kafka.Embedded.DataDir absolute, resolving a relative one against the
// directory of c.Path. For a Config from Load, "not set" means absent from the
// file, so an explicit `partitions: 0` stays 0 (and fails validation); for a
// Config built in code it means the zero value. Keys of one connector type are
// not defaulted on the other. ApplyDefaults is idempotent; Load calls it.
func (c *Config) ApplyDefaults() {
	unset := func(path string, zero bool) bool {
		if c.meta == nil {
			return zero
		}
		return !c.meta.set[path] && !c.meta.bad[path]
	}
	k, e := &c.Kafka, &c.Kafka.Embedded
	defaultInt(&k.Partitions, DefaultPartitions, unset("kafka.partitions", k.Partitions == 0))
	defaultInt(&k.MaxMessageBytes, DefaultMaxMessageBytes, unset("kafka.max_message_bytes", k.MaxMessageBytes == 0))
	defaultStr(&k.Compression, DefaultCompression, unset("kafka.compression", k.Compression == ""))
	defaultStr(&e.Listen, DefaultEmbeddedListen, unset("kafka.embedded.listen", e.Listen == ""))
	defaultStr(&e.DataDir, DefaultDataDir, unset("kafka.embedded.data_dir", e.DataDir == ""))
	if e.SyncWrites == nil {
		e.SyncWrites = ptr(true)
	}
	if e.DataDir != "" && !filepath.IsAbs(e.DataDir) {
		e.DataDir = resolveDir(c.Path, e.DataDir)
	}
	defaultStr(&c.Admin.Listen, DefaultAdminListen, unset("admin.listen", c.Admin.Listen == ""))
	c.applyVerifyDefaults(unset)
	c.applySecurityDefaults(unset)
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		p := fmt.Sprintf("connectors[%d].", i)
		switch cn.Type {
		case TypeMySQLSource:
			defaultStr(&cn.Snapshot, DefaultSnapshot, unset(p+"snapshot", cn.Snapshot == ""))
			defaultInt(&cn.SnapshotChunkSize, DefaultSnapshotChunkSize, unset(p+"snapshot_chunk_size", cn.SnapshotChunkSize == 0))
			defaultInt(&cn.SnapshotParallel, DefaultSnapshotParallelism, unset(p+"snapshot_parallelism", cn.SnapshotParallel == 0))
			defaultStr(&cn.Flavor, DefaultFlavor, unset(p+"flavor", cn.Flavor == ""))
		case TypeMySQLSink:
			defaultInt(&cn.BatchRows, DefaultBatchRows, unset(p+"batch_rows", cn.BatchRows == 0))
			defaultInt(&cn.BatchBytes, DefaultBatchBytes, unset(p+"batch_bytes", cn.BatchBytes == 0))
			defaultInt(&cn.Workers, 1, unset(p+"workers", cn.Workers == 0))
			defaultStr(&cn.CheckpointDB, DefaultCheckpointDB, unset(p+"checkpoint_db", cn.CheckpointDB == ""))
			if cn.CreateTables == nil {
				cn.CreateTables = ptr(true)
			}
			applySinkErrorDefaults(cn, i, unset)
		}
	}
}

// resolveDir returns dir, a path relative to the directory of the config file
// at configPath, as an absolute path (so that resolving twice is harmless).
func resolveDir(configPath, dir string) string {
	p := filepath.Join(filepath.Dir(configPath), dir)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func defaultInt(dst *int, v int, unset bool) {
	if unset {
		*dst = v
	}
}

func defaultStr(dst *string, v string, unset bool) {
	if unset {
		*dst = v
	}
}

func ptr[T any](v T) *T { return &v }
