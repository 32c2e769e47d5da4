package event

import (
	"encoding/json"
)

// decodeScalar reads the JSON values a sink meets for nearly every column
// without a json.Decoder: null, true, false, a number (as json.Number) and
// a string without escapes or control characters in valid UTF-8. It
// reports false for anything else, which DecodeValue then hands to
// encoding/json; the tests check both agree.
func decodeScalar(raw []byte) (any, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == 'n' && string(raw) == "null":
		return nil, true
	case c == 't' && string(raw) == "true":
		return true, true
	case c == 'f' && string(raw) == "false":
		return false, true
	case c == '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' {
			return nil, false
		}
		// Escapes (text with quotes, newlines) are decoded by the scanner,
		// which reports false on anything encoding/json would read otherwise.
		sc := scanner{b: raw}
		if s, ok := sc.str(); ok && sc.end() {
			return string(s), true
		}
		return nil, false
	case c == '-' || (c >= '0' && c <= '9'):
		if isNumber(raw) {
			return json.Number(raw), true
		}
	}
	return nil, false
}

// isNumber reports whether b is exactly one JSON number.
func isNumber(b []byte) bool { return numEnd(b, 0) == len(b) }

// numEnd returns the index after the JSON number starting at b[i], or -1
// if none starts there:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// digits returns the index after the run of digits starting at i.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
