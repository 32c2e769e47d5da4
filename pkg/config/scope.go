package config

import (
	"fmt"
	"strings"
)

// Scope is one connector of a file as its type's Spec sees it: Defaults
// asks it which keys the file left out, Validate reports problems to it.
// Keys are relative to the connector ("server_id", "tables[2]",
// "retry.max_backoff"); problems get the full path
// ("connectors[1].server_id") and the line of the key, or of the nearest
// enclosing key the file has. Spec.Defaults may only use the methods that
// read the file or fill defaults (File, Connector, Index, Path, Unset,
// Default*, InheritVerify); the checks are for Spec.Validate.
type Scope struct {
	v *validator // nil while defaults are applied
	c *Config
	i int // index in c.Connectors
}

// File returns the whole config, for references to other connectors.
func (s *Scope) File() *Config { return s.c }

// Connector returns the connector in scope.
func (s *Scope) Connector() *Connector { return &s.c.Connectors[s.i] }

// Index returns the connector's index in File().Connectors.
func (s *Scope) Index() int { return s.i }

// At returns the scope of another connector of the file, connectors[i].
func (s *Scope) At(i int) *Scope { return &Scope{v: s.v, c: s.c, i: i} }

// Path returns the full path of key ("connectors[1].key"); key "" is the
// connector itself.
func (s *Scope) Path(key string) string {
	p := fmt.Sprintf("connectors[%d]", s.i)
	if key == "" {
		return p
	}
	if strings.HasPrefix(key, "[") {
		return p + key
	}
	return p + "." + key
}

// Unset reports whether key takes its default: for a Config from Load,
// whether the file left it out (an explicit zero stays, and fails
// validation); for one built in code, whether zero (its value is the zero
// value).
func (s *Scope) Unset(key string, zero bool) bool { return s.c.unset(s.Path(key), zero) }

// Skip reports whether key failed to decode, and was reported so already.
func (s *Scope) Skip(key string) bool { return s.v.skip(s.Path(key)) }

// Present reports whether key was written in the file (perhaps empty).
func (s *Scope) Present(key string) bool { return s.v.present(s.Path(key)) }

// Add reports a problem with key.
func (s *Scope) Add(key, format string, args ...any) { s.v.r.add(s.Path(key), format, args...) }

// Missing reports key as "required; set <what>" when absent, as "is empty;
// set <what>" when present without a value.
func (s *Scope) Missing(key, what string) { s.v.missing(s.Path(key), what) }

// Show quotes the value of key for a message, or the text it was expanded
// from when it came from ${VAR}, so that no secret is printed.
func (s *Scope) Show(key, value string) string { return s.v.show(s.Path(key), value) }

// IntRange checks lo <= n <= hi.
func (s *Scope) IntRange(key string, n int, lo, hi int64) { s.v.intRange(s.Path(key), n, lo, hi) }

// OneOf checks that value is one of allowed, suggesting the closest.
func (s *Scope) OneOf(key, value string, allowed ...string) {
	s.v.oneOf(s.Path(key), value, allowed...)
}

// CheckSource checks that name, the value of a sink's key, names a source
// connector (RoleSource) of the file.
func (s *Scope) CheckSource(key, name string) {
	k := s.Path(key)
	if s.v.skip(k) {
		return
	}
	var known []string
	for _, src := range s.c.Sources() {
		if src.Name != "" {
			known = append(known, src.Name)
		}
	}
	types := s.c.typesOf(RoleSource)
	if name == "" {
		s.v.missing(k, "the name of the "+types+" connector to replicate ("+knownList(known)+")")
		return
	}
	target := s.c.Connector(name)
	switch {
	case target == nil:
		msg := fmt.Sprintf("%s names no %s connector (%s)", s.v.show(k, name), types, knownList(known))
		if g := suggest(name, known); g != "" {
			msg += fmt.Sprintf("; did you mean %s?", g)
		}
		s.v.r.add(k, "%s", msg)
	case !target.IsSource():
		s.v.r.add(k, "%s is a %s connector, not a %s; a sink replicates a %s (%s)",
			s.v.show(k, name), target.Type, types, types, knownList(known))
	}
}

func knownList(known []string) string {
	if len(known) == 0 {
		return "this file has none yet: add one"
	}
	return "known: " + strings.Join(known, ", ")
}
