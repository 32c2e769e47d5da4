package value

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// binlogBytes accepts go-mysql's string (CHAR, VARCHAR, BINARY, VARBINARY)
// or []byte (BLOB, TEXT, GEOMETRY). It does not copy.
func binlogBytes(v any) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	}
	return nil, wrongType(v, "a string or []byte")
}

// bytesValue copies b, never returning nil (nil would marshal as JSON null,
// not as an empty value), and pads a BINARY(n) value with the trailing zero
// bytes that the binlog leaves out.
func bytesValue(c *event.Column, b []byte) ([]byte, error) {
	n, err := binaryLength(c)
	if err != nil {
		return nil, err
	}
	if n > 0 && len(b) > n {
		return nil, fmt.Errorf("%w: %d bytes for BINARY(%d)", ErrInvalid, len(b), n)
	}
	out := make([]byte, max(len(b), n))
	copy(out, b)
	return out, nil
}

// bytesToSQL accepts the base64 text encoding/json wrote for a []byte, or
// a []byte.
func bytesToSQL(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return append([]byte{}, x...), nil
	case string:
		b, err := base64.StdEncoding.DecodeString(x)
		if err != nil {
			return nil, fmt.Errorf("%w: binary value is not standard base64: %v", ErrInvalid, err)
		}
		return b, nil
	}
	return nil, wrongType(v, "a base64 string or []byte")
}

// enumFromIndex maps go-mysql's 1-based ENUM index to the member. Index 0
// is the empty string that MySQL stores for an invalid value in non-strict
// mode.
func enumFromIndex(c *event.Column, v any) (any, error) {
	s, u, signed, ok := goInt(v)
	if !ok {
		return nil, wrongType(v, "an integer index")
	}
	if signed {
		if s < 0 {
			return nil, fmt.Errorf("%w: ENUM index %d", ErrInvalid, s)
		}
		u = uint64(s)
	}
	m, err := members(c)
	if err != nil {
		return nil, err
	}
	if u == 0 {
		return invalidEnum(m), nil
	}
	if u > uint64(len(m)) {
		return nil, fmt.Errorf("%w: ENUM index %d past the %d members", ErrInvalid, u, len(m))
	}
	return m[u-1], nil
}

// invalidEnum is the invalid ENUM value (index 0) of an ENUM with
// members m: "", or the number 0 when "" is a member (found by the
// differential fuzzer: "" then named the member, and the replica stored it
// instead of the invalid value).
func invalidEnum(m []string) any {
	if slices.Contains(m, "") {
		return int64(0)
	}
	return ""
}

// enumByIndex reports whether a snapshot reads ENUM column c by its index
// (SelectExpr): "" is one of its members, so its text cannot tell the
// member from the invalid value.
func enumByIndex(c *event.Column) bool {
	m, err := members(c)
	return err == nil && slices.Contains(m, "")
}

// enumFromText checks that the text is a member (or the empty string); an
// ENUM read by its index (enumByIndex) is mapped through its members.
func enumFromText(c *event.Column, raw []byte) (any, error) {
	if enumByIndex(c) {
		u, err := strconv.ParseUint(string(raw), 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%w: ENUM index %q", ErrInvalid, raw)
		}
		return enumFromIndex(c, u)
	}
	s, err := decodeText("utf8mb4", raw)
	if err != nil {
		return nil, err
	}
	if err := checkEnum(c, s); err != nil {
		return nil, err
	}
	return s, nil
}

func checkEnum(c *event.Column, s string) error {
	m, err := members(c)
	if err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	for _, x := range m {
		if x == s {
			return nil
		}
	}
	return fmt.Errorf("%w: %q is not a member of the ENUM", ErrInvalid, s)
}

// setFromBits joins the members whose bits are set, in definition order,
// as MySQL prints a SET.
func setFromBits(c *event.Column, v any) (any, error) {
	s, u, signed, ok := goInt(v)
	if !ok {
		return nil, wrongType(v, "an integer bitmask")
	}
	if signed {
		u = uint64(s) // a 64-member SET arrives negative
	}
	m, err := members(c)
	if err != nil {
		return nil, err
	}
	if len(m) < 64 && u>>len(m) != 0 {
		return nil, fmt.Errorf("%w: SET bitmask %#x has bits past the %d members", ErrInvalid, u, len(m))
	}
	parts := make([]string, 0, bits.OnesCount64(u))
	for i := range m {
		if u&(1<<i) != 0 {
			parts = append(parts, m[i])
		}
	}
	return strings.Join(parts, ","), nil
}

// setFromText rebuilds the bitmask from the printed members and joins them
// again, so that the result equals setFromBits's.
func setFromText(c *event.Column, raw []byte) (any, error) {
	s, err := decodeText("utf8mb4", raw)
	if err != nil {
		return nil, err
	}
	u, err := setBits(c, s)
	if err != nil {
		return nil, err
	}
	return setFromBits(c, u)
}

func setBits(c *event.Column, s string) (uint64, error) {
	m, err := members(c)
	if err != nil {
		return 0, err
	}
	if s == "" {
		return 0, nil
	}
	var u uint64
next:
	for _, part := range strings.Split(s, ",") {
		for i, x := range m {
			if x == part {
				u |= 1 << i
				continue next
			}
		}
		return 0, fmt.Errorf("%w: %q is not a member of the SET", ErrInvalid, part)
	}
	return u, nil
}

// textToSQL passes text, ENUM and SET values as strings. ENUM and SET are
// checked against the members: a non-strict server would store an unknown
// value as the empty string without an error.
func textToSQL(c *event.Column, k kind, v any) (any, error) {
	s, ok := v.(string)
	if !ok && k == kindEnum && enumByIndex(c) {
		if n, isInt := goIntZero(v); isInt && n {
			return int64(0), nil // the invalid value: stored by a lenient retry (sink), as by native replication
		}
	}
	if !ok {
		return nil, wrongType(v, "a string")
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrInvalid, invalidUTF8At([]byte(s)))
	}
	switch k {
	case kindEnum:
		if err := checkEnum(c, s); err != nil {
			return nil, err
		}
	case kindSet:
		if _, err := setBits(c, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// goIntZero reports whether v is an integer (a json.Number or a Go
// integer) and whether it is zero.
func goIntZero(v any) (zero, isInt bool) {
	if n, ok := v.(json.Number); ok {
		i, err := n.Int64()
		return err == nil && i == 0, err == nil
	}
	s, u, signed, ok := goInt(v)
	if !ok {
		return false, false
	}
	if signed {
		return s == 0, true
	}
	return u == 0, true
}
