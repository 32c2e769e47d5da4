package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decoder turns a yaml.v3 node tree into a Config by hand, so that it knows
// the line of every key, can reject unknown and duplicate keys and wrong
// types, and can expand ${VAR} in scalar values only (after parsing, so an
// environment variable can never change the YAML structure). It reports every
// problem and carries on; values that fail are marked bad so that validation
// does not report them a second time.
//
// A connector type decodes its own keys with it (Spec.Keys): its methods
// make the Handler of each key, which decodes the value into a field.
type Decoder struct {
	r      *report
	m      *meta
	lookup func(string) (string, bool)
	kinds  Kinds
	merges int // << merges expanded so far, bounded by maxMerges
}

// Handler decodes the value of one key into where it was made to write;
// path is the key's path. Only a Decoder makes Handlers.
type Handler func(path string, v *yaml.Node)

// Keys maps the keys a mapping may hold to their handlers.
type Keys map[string]Handler

// pair is one key of a mapping, after merge keys (<<) are applied.
type pair struct {
	key  string
	line int
	val  *yaml.Node
}

// maxMergeDepth and maxMerges bound << merges, which a small file can
// otherwise nest into exponential work.
const (
	maxMergeDepth = 8
	maxMerges     = 1000
)

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null (`key:` or `key: ~`),
// which counts as "not set".
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what n is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!str" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		return "the quoted string " + strconv.Quote(n.Value)
	case n.Tag == "!!str":
		return "the string " + strconv.Quote(n.Value)
	case n.Tag == "!!int" || n.Tag == "!!float":
		return "the number " + n.Value
	case n.Tag == "!!bool":
		return n.Value
	case n.Tag == "!!null":
		return "nothing"
	default:
		return "a value tagged " + n.Tag
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pairs returns the keys of mapping n in file order, reporting duplicate and
// non-string keys. Keys merged in with `<<: *anchor` come after the explicit
// ones and never override them.
func (d *Decoder) pairs(path string, n *yaml.Node, depth int) []pair {
	var out []pair
	var merges []*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.r.addAt(path, k.Line, "found %s as a key; keys are plain names such as listen", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.r.addAt(join(path, k.Value), k.Line, "duplicate key (first set at line %d); keep only one", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{k.Value, k.Line, v})
	}
	for _, mv := range merges {
		for _, src := range d.mergeSources(path, mv, depth) {
			for _, p := range d.pairs(path, src, depth+1) {
				if _, ok := seen[p.key]; !ok {
					seen[p.key] = p.line
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// mergeSources returns the mappings that `<<: v` merges in.
func (d *Decoder) mergeSources(path string, v *yaml.Node, depth int) []*yaml.Node {
	line := v.Line
	v = resolve(v)
	if d.merges++; d.merges > maxMerges || depth >= maxMergeDepth {
		if d.merges <= maxMerges+1 { // report the budget once
			d.r.addAt(path, line, "<< merges nest more than %d deep or expand more than %d times; flatten them",
				maxMergeDepth, maxMerges)
		}
		return nil
	}
	if v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	var out []*yaml.Node
	if v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			if e = resolve(e); e.Kind != yaml.MappingNode {
				break
			}
			out = append(out, resolve(e))
		}
		if len(out) == len(v.Content) {
			return out
		}
	}
	d.r.addAt(path, line, "<< merges a mapping (<<: *anchor) or a list of them, not %s", describe(v))
	return nil
}

// mapping decodes mapping n: it records the line of each key, calls the
// handler of each known key whose value is not null, and reports unknown keys.
// A key in foreign is known elsewhere but not allowed here; its value is the
// message. mapping returns false, after reporting, if n is not a mapping.
func (d *Decoder) mapping(path string, n *yaml.Node, known Keys, foreign map[string]string) bool {
	if resolve(n).Kind != yaml.MappingNode {
		d.wrongType(path, n, "a mapping of keys ("+strings.Join(sortedKeys(known), ", ")+")")
		return false
	}
	d.fields(path, d.pairs(path, resolve(n), 0), known, foreign)
	return true
}

// fields is mapping for pairs already extracted.
func (d *Decoder) fields(path string, ps []pair, known Keys, foreign map[string]string) {
	for _, p := range ps {
		kp := join(path, p.key)
		if msg, ok := foreign[p.key]; ok {
			d.r.addAt(kp, p.line, "%s", msg)
			d.m.bad[kp] = true
			continue
		}
		h, ok := known[p.key]
		if !ok {
			d.unknownKey(kp, p.line, p.key, known)
			continue
		}
		d.m.lines[kp] = p.line
		if isNull(p.val) {
			continue
		}
		d.m.set[kp] = true
		h(kp, p.val)
	}
}

func (d *Decoder) unknownKey(path string, line int, key string, known Keys) {
	names := sortedKeys(known)
	msg := "unknown key"
	if s := suggest(key, names); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	d.r.addAt(path, line, "%s (valid keys here: %s)", msg, strings.Join(names, ", "))
}

func (d *Decoder) wrongType(path string, n *yaml.Node, want string) {
	d.r.addAt(path, d.line(path, n), "expected %s, got %s", want, describe(n))
	d.m.bad[path] = true
}

// line returns the line of path's key, or of n when the key has none (list
// elements).
func (d *Decoder) line(path string, n *yaml.Node) int {
	if l, ok := d.m.lines[path]; ok {
		return l
	}
	return n.Line
}

// scalar returns the text of scalar n with ${VAR} expanded. used reports
// whether a variable was referenced; the raw text is then kept in m so that
// messages can quote it instead of a possibly secret value.
func (d *Decoder) scalar(path string, n *yaml.Node, want string) (text string, used, ok bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		d.wrongType(path, n, want)
		return "", false, false
	}
	if !strings.HasPrefix(n.Tag, "!!") || n.Tag == "!!binary" {
		d.r.addAt(path, d.line(path, n), "tag %s is not supported; remove it", n.Tag)
		d.m.bad[path] = true
		return "", false, false
	}
	text, used, err := expand(n.Value, d.lookup)
	if err != nil {
		d.r.addAt(path, d.line(path, n), "%v", err)
		d.m.bad[path] = true
		return "", used, false
	}
	if used {
		d.m.raw[path] = n.Value
	}
	return text, used, true
}

// str decodes a string. Numbers are taken as their text (a name may be 42);
// true and false are not, since they are rarely meant as text.
func (d *Decoder) str(path string, n *yaml.Node) (string, bool) {
	if r := resolve(n); r.Kind == yaml.ScalarNode && r.Tag == "!!bool" {
		d.wrongType(path, n, "a string (quote it if you mean the text "+strconv.Quote(r.Value)+")")
		return "", false
	}
	s, _, ok := d.scalar(path, n, "a string")
	return s, ok
}

// integer decodes a whole number in [lo, hi]. A quoted number is a string and
// rejected, unless its text came from ${VAR}, which is always a string.
func (d *Decoder) integer(path string, n *yaml.Node, lo, hi int64) (int64, bool) {
	s, used, ok := d.scalar(path, n, "a whole number")
	if !ok {
		return 0, false
	}
	var v int64
	var err error
	switch {
	case used:
		v, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	case resolve(n).Tag == "!!int":
		err = resolve(n).Decode(&v)
	case resolve(n).Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		d.wrongType(path, n, "a whole number (without quotes)")
		return 0, false
	default:
		d.wrongType(path, n, "a whole number")
		return 0, false
	}
	if err != nil {
		d.r.addAt(path, d.line(path, n), "expected a whole number, got %s", d.show(path, s))
		d.m.bad[path] = true
		return 0, false
	}
	if v < lo || v > hi {
		d.r.addAt(path, d.line(path, n), "%s", rangeMsg(lo, hi, v))
		d.m.bad[path] = true
		return 0, false
	}
	return v, true
}

// boolean decodes true or false (or text "true"/"false" from ${VAR}).
func (d *Decoder) boolean(path string, n *yaml.Node) (bool, bool) {
	s, used, ok := d.scalar(path, n, "true or false")
	if !ok {
		return false, false
	}
	if used && (s == "true" || s == "false") {
		return s == "true", true
	}
	var v bool
	if !used && resolve(n).Tag == "!!bool" && resolve(n).Decode(&v) == nil {
		return v, true
	}
	d.r.addAt(path, d.line(path, n), "expected true or false, got %s", d.show(path, s))
	d.m.bad[path] = true
	return false, false
}

// strs decodes a list of strings.
func (d *Decoder) strs(path string, n *yaml.Node) []string {
	r := resolve(n)
	if r.Kind != yaml.SequenceNode {
		want := "a list"
		if r.Kind == yaml.ScalarNode {
			want = fmt.Sprintf("a list; write [%q]", r.Value)
		}
		d.wrongType(path, n, want)
		return nil
	}
	out := make([]string, 0, len(r.Content))
	for i, e := range r.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		d.m.lines[ep] = e.Line
		s, _ := d.str(ep, e)
		out = append(out, s)
	}
	return out
}

// show quotes a value for a message, or the text it was expanded from, so
// that the value of an environment variable (perhaps a password) is never
// printed.
func (d *Decoder) show(path, value string) string { return d.m.show(path, value) }

// Handlers that decode into a field. A connector type's Spec.Keys makes
// its handlers with these.

// Str decodes a string into dst.
func (d *Decoder) Str(dst *string) Handler {
	return func(p string, v *yaml.Node) { *dst, _ = d.str(p, v) }
}

// Strs decodes a list of strings into dst.
func (d *Decoder) Strs(dst *[]string) Handler {
	return func(p string, v *yaml.Node) { *dst = d.strs(p, v) }
}

// Int decodes a whole number in [lo, hi] into dst.
func (d *Decoder) Int(dst *int, lo, hi int64) Handler {
	return func(p string, v *yaml.Node) {
		if x, ok := d.integer(p, v, lo, hi); ok {
			*dst = int(x)
		}
	}
}

// Uint32 decodes a whole number in [lo, hi] into dst.
func (d *Decoder) Uint32(dst *uint32, lo, hi uint32) Handler {
	return func(p string, v *yaml.Node) {
		if x, ok := d.integer(p, v, int64(lo), int64(hi)); ok {
			*dst = uint32(x)
		}
	}
}

// Bool decodes true or false into *dst, which stays nil when the key is
// absent.
func (d *Decoder) Bool(dst **bool) Handler {
	return func(p string, v *yaml.Node) {
		if b, ok := d.boolean(p, v); ok {
			*dst = &b
		}
	}
}

// Mapping decodes a mapping with the given keys (a nested section such as
// a sink's retry).
func (d *Decoder) Mapping(k Keys) Handler {
	return func(p string, v *yaml.Node) { d.mapping(p, v, k, nil) }
}

func sortedKeys(k Keys) []string {
	out := make([]string, 0, len(k))
	for name := range k {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
