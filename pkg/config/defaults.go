package config

import (
	"path/filepath"
)

// Defaults of the optional keys.
const (
	DefaultPartitions      = 3
	DefaultMaxMessageBytes = 1 << 20
	// DefaultCompression: lz4 produced row changes as fast as none or
	// faster (fewer bytes to write and fsync) and stored 8-11x fewer bytes
	// (BenchmarkProduceCompression in pkg/kafka, sluice-bench).
	DefaultCompression    = "lz4"
	DefaultEmbeddedListen = "127.0.0.1:9092"
	DefaultDataDir        = "./data/kafka"
	DefaultAdminListen    = "127.0.0.1:9187"
)

// ApplyDefaults fills in the keys that are not set, and makes
// Kafka.Embedded.DataDir absolute, resolving a relative one against the
// directory of c.Path. For a Config from Load, "not set" means absent from the
// file, so an explicit `partitions: 0` stays 0 (and fails validation); for a
// Config built in code it means the zero value. Each connector's Spec fills
// its own keys, after the file's. ApplyDefaults is idempotent; Load calls it.
func (c *Config) ApplyDefaults() {
	k, e := &c.Kafka, &c.Kafka.Embedded
	defaultInt(&k.Partitions, DefaultPartitions, c.unset("kafka.partitions", k.Partitions == 0))
	defaultInt(&k.MaxMessageBytes, DefaultMaxMessageBytes, c.unset("kafka.max_message_bytes", k.MaxMessageBytes == 0))
	defaultStr(&k.Compression, DefaultCompression, c.unset("kafka.compression", k.Compression == ""))
	defaultStr(&e.Listen, DefaultEmbeddedListen, c.unset("kafka.embedded.listen", e.Listen == ""))
	defaultStr(&e.DataDir, DefaultDataDir, c.unset("kafka.embedded.data_dir", e.DataDir == ""))
	if e.SyncWrites == nil {
		e.SyncWrites = ptr(true)
	}
	if e.DataDir != "" && !filepath.IsAbs(e.DataDir) {
		e.DataDir = resolveDir(c.Path, e.DataDir)
	}
	defaultStr(&c.Admin.Listen, DefaultAdminListen, c.unset("admin.listen", c.Admin.Listen == ""))
	c.applyVerifyDefaults(c.unset)
	c.applySecurityDefaults(c.unset)
	for i := range c.Connectors {
		if spec := c.Connectors[i].Spec; spec != nil {
			spec.Defaults(&Scope{c: c, i: i})
		}
	}
}

// unset reports whether the key at path takes its default: absent from the
// file (and not failed to decode), or for a Config built in code, zero.
func (c *Config) unset(path string, zero bool) bool {
	if c.meta == nil {
		return zero
	}
	return !c.meta.set[path] && !c.meta.bad[path]
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
