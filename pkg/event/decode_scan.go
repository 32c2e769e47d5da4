package event

import (
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON from b without reflection, for the envelope and
// marker decoders of decode_fast.go. Every method reports false on anything
// it is not sure to read exactly as encoding/json does (a syntax error,
// invalid UTF-8 in a decoded string, nesting deeper than maxScanDepth); the
// caller then hands the whole input to encoding/json, which decides and
// words the error. It never accepts what encoding/json rejects.
type scanner struct {
	b []byte
	i int
}

// maxScanDepth bounds the nesting of skipped values; deeper input goes to
// encoding/json (whose own limit is 10,000).
const maxScanDepth = 100

// ws skips JSON whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and consumes c if it comes next.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// lit consumes the literal word (null, true, false) if it comes next.
func (s *scanner) lit(word string) bool {
	s.ws()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// object reads an object, calling member with each key (unquoted; only
// valid until member returns) with s positioned before the value, which
// member must read.
func (s *scanner) object(member func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		key, ok := s.str()
		if !ok || !s.next(':') || !member(key) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// array reads an array, calling elem with s positioned before each element,
// which elem must read.
func (s *scanner) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next(']')
	}
}

// str reads a string and returns its unquoted bytes: a slice of b when the
// string has no escapes, else a new buffer. A string whose unescaped bytes
// are not valid UTF-8 (which encoding/json would coerce) reports false.
func (s *scanner) str() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start, ascii := s.i+1, true
	for i := start; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			if !ascii && !utf8.Valid(s.b[start:i]) {
				return nil, false
			}
			s.i = i + 1
			return s.b[start:i], true
		case c == '\\':
			return s.unescape(start, i)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// unescape finishes str for a string starting at start whose first escape
// is at esc, decoding escapes as encoding/json does: a \u escape of half a
// surrogate pair becomes U+FFFD unless the next escape completes the pair.
func (s *scanner) unescape(start, esc int) ([]byte, bool) {
	out := make([]byte, 0, esc-start+16)
	run := start // first byte not yet copied
	i := esc
	flush := func(to int) bool {
		seg := s.b[run:to]
		out = append(out, seg...)
		return utf8.Valid(seg)
	}
	for i < len(s.b) {
		c := s.b[i]
		switch {
		case c == '"':
			if !flush(i) {
				return nil, false
			}
			s.i = i + 1
			return out, true
		case c < 0x20:
			return nil, false
		case c != '\\':
			i++
			continue
		}
		if !flush(i) || i+1 >= len(s.b) {
			return nil, false
		}
		switch e := s.b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s.b, i+2)
			if r < 0 {
				return nil, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r = utf16.DecodeRune(r, hex4u(s.b, i+2))
				if r != utf8.RuneError {
					i += 6 // the pair's second half
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false
		}
		i += 2
		run = i
	}
	return nil, false
}

// hex4u returns the rune of a \uXXXX escape at b[i:], or -1.
func hex4u(b []byte, i int) rune {
	if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
		return hex4(b, i+2)
	}
	return -1
}

// hex4 returns the value of the four hex digits at b[i:], or -1.
func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// num reads a number and returns its text.
func (s *scanner) num() ([]byte, bool) {
	s.ws()
	e := numEnd(s.b, s.i)
	if e < 0 {
		return nil, false
	}
	n := s.b[s.i:e]
	s.i = e
	return n, true
}

// uint reads a number that fits in bits bits unsigned, as encoding/json
// reads one into a uint field (digits only: no sign, fraction or exponent).
func (s *scanner) uint(bits uint) (uint64, bool) {
	t, ok := s.num()
	if !ok {
		return 0, false
	}
	n, ok := parseDigits(t)
	return n, ok && (bits == 64 || n < 1<<bits)
}

// int64 reads a number as encoding/json reads one into an int64 field.
func (s *scanner) int64() (int64, bool) {
	t, ok := s.num()
	if !ok {
		return 0, false
	}
	neg := t[0] == '-'
	if neg {
		t = t[1:]
	}
	n, ok := parseDigits(t)
	switch {
	case !ok:
		return 0, false
	case neg && n <= 1<<63:
		return int64(-n), true // -(1<<63) wraps to itself, the minimum
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// parseDigits parses t, a run of decimal digits, as a uint64; it reports
// false on any other byte and on overflow.
func parseDigits(t []byte) (uint64, bool) {
	var n uint64
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, len(t) > 0
}

// value skips one JSON value and returns its text, as encoding/json hands
// it to json.RawMessage.UnmarshalJSON.
func (s *scanner) value() ([]byte, bool) {
	s.ws()
	start := s.i
	if !s.skip(0) {
		return nil, false
	}
	return s.b[start:s.i], true
}

// skip skips one JSON value, checking its syntax as encoding/json's scanner
// does (strings may hold any bytes but control characters; they are not
// UTF-8-checked there either).
func (s *scanner) skip(depth int) bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; c {
	case '{', '[':
		if depth >= maxScanDepth {
			return false
		}
		if c == '[' {
			return s.array(func() bool { return s.skip(depth + 1) })
		}
		return s.object(func([]byte) bool { return s.skip(depth + 1) })
	case '"':
		return s.skipStr()
	case 'n':
		return s.lit("null")
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	}
	_, ok := s.num()
	return ok
}

// skipStr skips a string without unquoting it.
func (s *scanner) skipStr() bool {
	for i := s.i + 1; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(s.b) {
				return false
			}
			switch s.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if hex4(s.b, i+1) < 0 {
					return false
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}
