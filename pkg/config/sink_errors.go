package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Tolerances of a sink's errors mapping.
const (
	// ToleranceNone stops the sink at a message it cannot apply (default).
	ToleranceNone = "none"
	// ToleranceAll sends such a message to the dead-letter topic and goes on.
	ToleranceAll = "all"
)

// Defaults and bounds of a sink's retry mapping.
const (
	DefaultRetryMaxAttempts = 10
	DefaultRetryMaxBackoff  = 30 * time.Second
	maxRetryAttempts        = 1000
	minRetryMaxBackoff      = 100 * time.Millisecond
)

// SinkErrors says what a sink does with a message it cannot apply: one that
// is not JSON, does not have the envelope's shape, or holds a value the
// replica rejects (errors).
type SinkErrors struct {
	// Tolerance is ToleranceNone (stop at the message, never commit past
	// it) or ToleranceAll (dead-letter it and continue).
	Tolerance string
	// DeadLetterTopic receives the messages skipped under ToleranceAll;
	// required then, and empty otherwise.
	DeadLetterTopic string
}

// Retry bounds how a sink retries a failing replica (retry): the sink is
// restarted from its checkpoint after a backoff of 1 s doubling up to
// MaxBackoff, at most MaxAttempts times in a row, then it stops with an
// error for a person to act on.
type Retry struct {
	MaxAttempts int           // consecutive failed attempts before the sink stops; default 10
	MaxBackoff  time.Duration // largest wait between attempts; default 30s
}

// sinkErrors decodes a sink's errors mapping.
func (d *decoder) sinkErrors(path string, n *yaml.Node, dst *SinkErrors) {
	d.mapping(path, n, keys{
		"tolerance":         d.strInto(&dst.Tolerance),
		"dead_letter_topic": d.strInto(&dst.DeadLetterTopic),
	}, nil)
}

// retry decodes a sink's retry mapping.
func (d *decoder) retry(path string, n *yaml.Node, dst *Retry) {
	d.mapping(path, n, keys{
		"max_attempts": d.intInto(&dst.MaxAttempts, 1, maxRetryAttempts),
		"max_backoff":  d.durationInto(&dst.MaxBackoff),
	}, nil)
}

// applySinkErrorDefaults fills errors.tolerance and the retry keys of
// sink i.
func applySinkErrorDefaults(cn *Connector, i int, unset func(path string, zero bool) bool) {
	p := fmt.Sprintf("connectors[%d].", i)
	defaultStr(&cn.Errors.Tolerance, ToleranceNone, unset(p+"errors.tolerance", cn.Errors.Tolerance == ""))
	defaultInt(&cn.Retry.MaxAttempts, DefaultRetryMaxAttempts, unset(p+"retry.max_attempts", cn.Retry.MaxAttempts == 0))
	if unset(p+"retry.max_backoff", cn.Retry.MaxBackoff == 0) {
		cn.Retry.MaxBackoff = DefaultRetryMaxBackoff
	}
}

// sinkErrors checks a sink's errors and retry keys.
func (v *validator) sinkErrors(p string, cn *Connector) {
	e := cn.Errors
	v.oneOf(p+".errors.tolerance", e.Tolerance, ToleranceNone, ToleranceAll)
	switch k := p + ".errors.dead_letter_topic"; {
	case v.skip(k):
	case e.Tolerance == ToleranceAll && e.DeadLetterTopic == "":
		v.missing(k, "the topic that receives the messages skipped under tolerance: all (e.g. _sluice.dlq."+cn.Name+")")
	case e.Tolerance != ToleranceAll && e.DeadLetterTopic != "":
		v.r.add(k, "is only used with errors.tolerance: all; remove it, or set tolerance: all")
	case e.DeadLetterTopic != "" && !validTopic(e.DeadLetterTopic):
		v.r.add(k, "%s is not a Kafka topic name; use at most 249 letters, digits, '.', '_' and '-'", v.show(k, e.DeadLetterTopic))
	}
	v.intRange(p+".retry.max_attempts", cn.Retry.MaxAttempts, 1, maxRetryAttempts)
	if k := p + ".retry.max_backoff"; !v.skip(k) && cn.Retry.MaxBackoff < minRetryMaxBackoff {
		v.r.add(k, "is %s; use at least %s (e.g. 30s)", cn.Retry.MaxBackoff, minRetryMaxBackoff)
	}
}

func validTopic(s string) bool {
	if len(s) > 249 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
