package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FieldError is one problem in a config file.
type FieldError struct {
	File string // the config file as given to Load or Parse; "" if none
	Path string // key path such as "connectors[1].source"; "" for the file as a whole
	Line int    // 1-based YAML line; 0 when unknown (a Config built in code)
	Msg  string // what is wrong and what to do about it
}

// Error formats e as "file:line: path: msg", leaving out the parts it lacks.
func (e FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one config file, ordered by line. Load,
// Parse and Validate return it as their error; get at it with errors.As.
type Errors []FieldError

// Error returns one line per problem.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// meta remembers, per key path, what the decoder saw, so that defaults apply
// only to absent keys and validation can name lines and skip values that
// already failed to decode.
type meta struct {
	lines map[string]int    // key path -> line of the key ("" -> the document)
	set   map[string]bool   // key paths present with a non-null value
	bad   map[string]bool   // key paths whose value could not be decoded
	raw   map[string]string // key path -> text before ${VAR} expansion, if it had any
}

func newMeta() *meta {
	return &meta{lines: map[string]int{}, set: map[string]bool{}, bad: map[string]bool{}, raw: map[string]string{}}
}

// line returns the line of path, or of its nearest ancestor that has one, so
// that a missing key is reported where its mapping is.
func (m *meta) line(path string) int {
	if m == nil {
		return 0
	}
	for {
		if l, ok := m.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parent(path)
	}
}

// isBad reports whether path or one of its ancestors failed to decode.
func (m *meta) isBad(path string) bool {
	if m == nil {
		return false
	}
	for {
		if m.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parent(path)
	}
}

// show quotes value for a message. If it came from ${VAR} expansion it
// quotes the text as written instead, so that an environment variable's
// value (perhaps a password) never ends up in a message.
func (m *meta) show(path, value string) string {
	if m != nil {
		if raw, ok := m.raw[path]; ok {
			return strconv.Quote(raw) + " (after ${} expansion)"
		}
	}
	return strconv.Quote(value)
}

// parent strips the last ".key" or "[i]" from a key path.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// report collects problems.
type report struct {
	file string
	meta *meta
	errs Errors
}

// add records a problem at path, on the line of path or its nearest ancestor.
func (r *report) add(path, format string, args ...any) {
	r.addAt(path, r.meta.line(path), format, args...)
}

func (r *report) addAt(path string, line int, format string, args ...any) {
	r.errs = append(r.errs, FieldError{File: r.file, Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems in line order, or nil if there are none.
func (r *report) err() error {
	if len(r.errs) == 0 {
		return nil
	}
	sort.SliceStable(r.errs, func(i, j int) bool { return r.errs[i].Line < r.errs[j].Line })
	return r.errs
}
