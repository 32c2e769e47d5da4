package config

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults and bounds of the verify keys.
const (
	DefaultVerifyChunkRows = 10000
	DefaultVerifyMaxWait   = 5 * time.Minute
	minVerifyEvery         = time.Second
	minVerifyMaxWait       = time.Second
)

// Verify configures `sluice verify` for a sink and its periodic run inside
// `sluice run`. The top-level `verify` applies to every mysql-sink; a sink's
// own `verify` overrides it key by key. After Load every sink has a non-nil
// Verify with the merged values; a source has none.
type Verify struct {
	// Every is the period of the verify run inside `sluice run`; 0 (the
	// default) runs none. `sluice verify` ignores it.
	Every time.Duration
	// ChunkRows is the number of rows per checksummed primary-key chunk.
	ChunkRows int
	// MaxWait bounds how long verify waits for the sink to apply a source
	// position before it reports the sink as not advancing.
	MaxWait time.Duration
}

// verify decodes a verify mapping (top level or a sink's) into dst.
func (d *decoder) verify(path string, n *yaml.Node, dst **Verify) {
	v := &Verify{}
	*dst = v
	d.mapping(path, n, keys{
		"every":      d.durationInto(&v.Every),
		"chunk_rows": d.intInto(&v.ChunkRows, 1, maxChunkOrBatch),
		"max_wait":   d.durationInto(&v.MaxWait),
	}, nil)
}

// durationInto decodes a Go duration with a unit ("1h", "30m", "90s").
func (d *decoder) durationInto(dst *time.Duration) handler {
	return func(p string, n *yaml.Node) {
		s, _, ok := d.scalar(p, n, "a duration such as 1h or 30m")
		if !ok {
			return
		}
		v, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			d.r.addAt(p, d.line(p, n), "expected a duration with a unit such as 1h, 30m or 90s, got %s", d.show(p, s))
			d.m.bad[p] = true
			return
		}
		*dst = v
	}
}

// applyVerifyDefaults fills the top-level verify keys, then gives every
// sink the merge of its own verify over the top-level one.
func (c *Config) applyVerifyDefaults(unset func(path string, zero bool) bool) {
	if c.Verify == nil {
		c.Verify = &Verify{}
	}
	top := c.Verify
	if unset("verify.chunk_rows", top.ChunkRows == 0) {
		top.ChunkRows = DefaultVerifyChunkRows
	}
	if unset("verify.max_wait", top.MaxWait == 0) {
		top.MaxWait = DefaultVerifyMaxWait
	}
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		if cn.Type != TypeMySQLSink {
			continue
		}
		if cn.Verify == nil {
			cp := *top
			cn.Verify = &cp
			continue
		}
		p := fmt.Sprintf("connectors[%d].verify.", i)
		v := cn.Verify
		if unset(p+"every", v.Every == 0) {
			v.Every = top.Every
		}
		if unset(p+"chunk_rows", v.ChunkRows == 0) {
			v.ChunkRows = top.ChunkRows
		}
		if unset(p+"max_wait", v.MaxWait == 0) {
			v.MaxWait = top.MaxWait
		}
	}
}

// verify checks a verify mapping at path (nil: absent, nothing to check).
func (v *validator) verify(path string, vf *Verify) {
	if vf == nil || v.skip(path) {
		return
	}
	if k := path + ".every"; !v.skip(k) && vf.Every != 0 && vf.Every < minVerifyEvery {
		v.r.add(k, "is %s; use 0 for no periodic verify, or at least %s (e.g. 1h)", vf.Every, minVerifyEvery)
	}
	v.intRange(path+".chunk_rows", vf.ChunkRows, 1, maxChunkOrBatch)
	if k := path + ".max_wait"; !v.skip(k) && vf.MaxWait < minVerifyMaxWait {
		v.r.add(k, "is %s; use at least %s (e.g. 5m)", vf.MaxWait, minVerifyMaxWait)
	}
}
