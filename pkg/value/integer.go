package value

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// intBounds returns the range of an integer column: [min, max] for signed
// columns, [0, umax] for unsigned ones.
func intBounds(width int) (minS, maxS int64, maxU uint64) {
	if width == 64 {
		return math.MinInt64, math.MaxInt64, math.MaxUint64
	}
	return -1 << (width - 1), 1<<(width-1) - 1, 1<<width - 1
}

// goInt splits a Go integer into a signed or an unsigned value.
func goInt(v any) (s int64, u uint64, signed, ok bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), 0, true, true
	case int16:
		return int64(x), 0, true, true
	case int32:
		return int64(x), 0, true, true
	case int64:
		return x, 0, true, true
	case int:
		return int64(x), 0, true, true
	case uint8:
		return 0, uint64(x), false, true
	case uint16:
		return 0, uint64(x), false, true
	case uint32:
		return 0, uint64(x), false, true
	case uint64:
		return 0, x, false, true
	case uint:
		return 0, uint64(x), false, true
	}
	return 0, 0, false, false
}

// intFromBinlog applies the column's signedness and width. Without
// binlog_row_metadata go-mysql returns signed Go values even for UNSIGNED
// columns; they are reinterpreted at the column's width (int8(-1) is 255,
// a MEDIUMINT's int32(-1) is 16777215).
func intFromBinlog(c *event.Column, v any) (any, error) {
	width := intWidth[dataType(c)]
	minS, maxS, maxU := intBounds(width)
	s, u, signed, ok := goInt(v)
	if !ok {
		return nil, wrongType(v, "an integer")
	}
	switch {
	case signed && isUnsigned(c):
		if s < minS || (s > 0 && uint64(s) > maxU) {
			return nil, fmt.Errorf("%w: %d does not fit %d bits", ErrInvalid, s, width)
		}
		return uint64(s) & maxU, nil
	case signed:
		if s < minS || s > maxS {
			return nil, fmt.Errorf("%w: %d out of range [%d, %d]", ErrInvalid, s, minS, maxS)
		}
		return s, nil
	case isUnsigned(c):
		if u > maxU {
			return nil, fmt.Errorf("%w: %d out of range [0, %d]", ErrInvalid, u, maxU)
		}
		return u, nil
	}
	return nil, fmt.Errorf("%w: the binlog carries an unsigned value (%d) for a signed column: schema mismatch", ErrInvalid, u)
}

// parseInt reads decimal digits as the column's integer type.
func parseInt(c *event.Column, s string) (any, error) {
	width := intWidth[dataType(c)]
	minS, maxS, maxU := intBounds(width)
	if isUnsigned(c) {
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil || u > maxU {
			return nil, fmt.Errorf("%w: %q is not an integer in [0, %d]", ErrInvalid, s, maxU)
		}
		return u, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < minS || n > maxS {
		return nil, fmt.Errorf("%w: %q is not an integer in [%d, %d]", ErrInvalid, s, minS, maxS)
	}
	return n, nil
}

func intFromText(c *event.Column, raw []byte) (any, error) {
	return parseInt(c, string(raw))
}

func intToSQL(c *event.Column, v any) (any, error) {
	if _, _, _, ok := goInt(v); ok {
		return intFromBinlog(c, v)
	}
	s, err := numberText(v)
	if err != nil {
		return nil, err
	}
	return parseInt(c, s)
}

// numberText returns the text of a json.Number or a string. A float64
// means the envelope was decoded without UseNumber, which already lost
// digits past 2^53, so it is refused.
func numberText(v any) (string, error) {
	switch x := v.(type) {
	case json.Number:
		return string(x), nil
	case string:
		return x, nil
	}
	return "", wrongType(v, "a json.Number or a string (decode the envelope with UseNumber)")
}

// bitFromBinlog reinterprets go-mysql's int64 as the column's bits; BIT(64)
// with the top bit set arrives negative.
func bitFromBinlog(v any) (any, error) {
	s, u, signed, ok := goInt(v)
	if !ok {
		return nil, wrongType(v, "an integer")
	}
	if signed {
		return uint64(s), nil
	}
	return u, nil
}

// bitFromText reads the big-endian bytes the text protocol returns for BIT.
func bitFromText(raw []byte) (any, error) {
	if len(raw) > 8 {
		return nil, fmt.Errorf("%w: %d bytes for a BIT value, at most 8", ErrInvalid, len(raw))
	}
	var u uint64
	for _, b := range raw {
		u = u<<8 | uint64(b)
	}
	return u, nil
}

func bitToSQL(v any) (any, error) {
	if _, _, _, ok := goInt(v); ok {
		return bitFromBinlog(v)
	}
	s, err := numberText(v)
	if err != nil {
		return nil, err
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a BIT value", ErrInvalid, s)
	}
	return u, nil
}

// checkYear accepts 0 (YEAR 0000) and 1901..2155.
func checkYear(y int64) (any, error) {
	if y != 0 && (y < 1901 || y > 2155) {
		return nil, fmt.Errorf("%w: year %d out of range", ErrInvalid, y)
	}
	return y, nil
}

func yearFromBinlog(v any) (any, error) {
	s, u, signed, ok := goInt(v)
	if !ok {
		return nil, wrongType(v, "an integer")
	}
	if !signed {
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%w: year %d out of range", ErrInvalid, u)
		}
		s = int64(u)
	}
	return checkYear(s)
}

func yearFromText(raw []byte) (any, error) {
	y, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a year", ErrInvalid, raw)
	}
	return checkYear(y)
}

// yearToSQL sends YEAR as a number: the string "0" would store 2000, the
// number 0 stores 0000.
func yearToSQL(v any) (any, error) {
	if _, _, _, ok := goInt(v); ok {
		return yearFromBinlog(v)
	}
	s, err := numberText(v)
	if err != nil {
		return nil, err
	}
	return yearFromText([]byte(s))
}
