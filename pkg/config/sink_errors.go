package config

import (
	"time"
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
// replica rejects (errors). SinkErrors and Retry are building blocks of sink
// types' configs: a type that has the keys decodes, defaults and checks them
// with the Decoder and Scope methods of the same names.
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

// SinkErrors decodes a sink's errors mapping into dst.
func (d *Decoder) SinkErrors(dst *SinkErrors) Handler {
	return d.Mapping(Keys{
		"tolerance":         d.Str(&dst.Tolerance),
		"dead_letter_topic": d.Str(&dst.DeadLetterTopic),
	})
}

// Retry decodes a sink's retry mapping into dst.
func (d *Decoder) Retry(dst *Retry) Handler {
	return d.Mapping(Keys{
		"max_attempts": d.Int(&dst.MaxAttempts, 1, maxRetryAttempts),
		"max_backoff":  d.Duration(&dst.MaxBackoff),
	})
}

// DefaultSinkErrors fills the tolerance of the errors mapping at key.
func (s *Scope) DefaultSinkErrors(key string, e *SinkErrors) {
	defaultStr(&e.Tolerance, ToleranceNone, s.Unset(key+".tolerance", e.Tolerance == ""))
}

// DefaultRetry fills the keys of the retry mapping at key.
func (s *Scope) DefaultRetry(key string, r *Retry) {
	defaultInt(&r.MaxAttempts, DefaultRetryMaxAttempts, s.Unset(key+".max_attempts", r.MaxAttempts == 0))
	if s.Unset(key+".max_backoff", r.MaxBackoff == 0) {
		r.MaxBackoff = DefaultRetryMaxBackoff
	}
}

// CheckSinkErrors checks the errors mapping at key.
func (s *Scope) CheckSinkErrors(key string, e SinkErrors) {
	s.OneOf(key+".tolerance", e.Tolerance, ToleranceNone, ToleranceAll)
	switch k := key + ".dead_letter_topic"; {
	case s.Skip(k):
	case e.Tolerance == ToleranceAll && e.DeadLetterTopic == "":
		s.Missing(k, "the topic that receives the messages skipped under tolerance: all (e.g. _sluice.dlq."+s.Connector().Name+")")
	case e.Tolerance != ToleranceAll && e.DeadLetterTopic != "":
		s.Add(k, "is only used with errors.tolerance: all; remove it, or set tolerance: all")
	case e.DeadLetterTopic != "" && !validTopic(e.DeadLetterTopic):
		s.Add(k, "%s is not a Kafka topic name; use at most 249 letters, digits, '.', '_' and '-'", s.Show(k, e.DeadLetterTopic))
	}
}

// CheckRetry checks the retry mapping at key.
func (s *Scope) CheckRetry(key string, r Retry) {
	s.IntRange(key+".max_attempts", r.MaxAttempts, 1, maxRetryAttempts)
	if k := key + ".max_backoff"; !s.Skip(k) && r.MaxBackoff < minRetryMaxBackoff {
		s.Add(k, "is %s; use at least %s (e.g. 30s)", r.MaxBackoff, minRetryMaxBackoff)
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
