package config

import (
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
// `sluice run`. The top-level `verify` applies to every sink whose type has
// a verify key (mysql-sink); a sink's own `verify` overrides it key by key
// (Scope.InheritVerify). After Load such a sink has a non-nil Verify with
// the merged values.
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

// Verify decodes a verify mapping (top level or a sink's) into a new
// *dst: present, even empty, it is non-nil.
func (d *Decoder) Verify(dst **Verify) Handler {
	return func(path string, n *yaml.Node) {
		v := &Verify{}
		*dst = v
		d.mapping(path, n, Keys{
			"every":      d.Duration(&v.Every),
			"chunk_rows": d.Int(&v.ChunkRows, 1, maxChunkOrBatch),
			"max_wait":   d.Duration(&v.MaxWait),
		}, nil)
	}
}

// Duration decodes a Go duration with a unit ("1h", "30m", "90s").
func (d *Decoder) Duration(dst *time.Duration) Handler {
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

// applyVerifyDefaults fills the top-level verify keys.
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
}

// InheritVerify gives the connector's verify mapping at key (nil: absent)
// the file's top-level values of the keys it leaves out; absent, it becomes
// a copy of the top-level one. A sink type with a verify key calls it from
// Spec.Defaults.
func (s *Scope) InheritVerify(key string, dst **Verify) {
	top := s.c.Verify
	if top == nil {
		top = &Verify{ChunkRows: DefaultVerifyChunkRows, MaxWait: DefaultVerifyMaxWait}
	}
	if *dst == nil {
		cp := *top
		*dst = &cp
		return
	}
	v := *dst
	if s.Unset(key+".every", v.Every == 0) {
		v.Every = top.Every
	}
	if s.Unset(key+".chunk_rows", v.ChunkRows == 0) {
		v.ChunkRows = top.ChunkRows
	}
	if s.Unset(key+".max_wait", v.MaxWait == 0) {
		v.MaxWait = top.MaxWait
	}
}

// CheckVerify checks the connector's verify mapping at key (nil: absent).
func (s *Scope) CheckVerify(key string, vf *Verify) { s.v.verify(s.Path(key), vf) }

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
