package value

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// decimalValue normalizes a DECIMAL's text to exactly the column's scale:
// optional '-', the integer digits without leading zeros, '.', Scale
// digits. It never rounds: a fraction with more non-zero digits than the
// scale, or more integer digits than the precision allows, is an error.
func decimalValue(c *event.Column, s string) (string, error) {
	prec, scale, err := decimalSpec(c)
	if err != nil {
		return "", err
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: %q is not a DECIMAL(%d,%d): %s", ErrInvalid, s, prec, scale, why)
	}
	body, neg := strings.CutPrefix(s, "-")
	if !neg {
		body = strings.TrimPrefix(body, "+")
	}
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", bad("want digits with an optional sign and point")
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(frac) > scale {
		if strings.Trim(frac[scale:], "0") != "" {
			return "", bad("more fractional digits than the scale")
		}
		frac = frac[:scale]
	}
	if len(intPart) > prec-scale {
		return "", bad("more integer digits than the precision allows")
	}
	if neg && strings.Trim(intPart+frac, "0") == "" {
		neg = false // DECIMAL has no negative zero
	}
	var b strings.Builder
	b.Grow(len(intPart) + scale + 3)
	if neg {
		b.WriteByte('-')
	}
	if intPart == "" {
		intPart = "0"
	}
	b.WriteString(intPart)
	if scale > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
		b.WriteString(strings.Repeat("0", scale-len(frac)))
	}
	return b.String(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// float32Value widens a FLOAT without binary noise: the shortest decimal
// text that identifies the float32 is parsed as a float64, so 1.1 stays 1.1
// rather than 1.100000023841858. Rounding that float64 back to float32 gives
// the original bits. Negative zero becomes zero: MariaDB prints -0 as "0",
// so a snapshot cannot see the sign (DOUBLE columns never store it).
func float32Value(f float32) (float64, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return 0, fmt.Errorf("%w: %v", ErrInvalid, f)
	}
	if f == 0 {
		return 0, nil
	}
	return strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
}

// float64Value checks a DOUBLE and folds negative zero (see float32Value).
func float64Value(f float64) (float64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v", ErrInvalid, f)
	}
	if f == 0 {
		return 0, nil
	}
	return f, nil
}

func floatFromBinlog(v any) (any, error) {
	switch x := v.(type) {
	case float32:
		return float32Value(x)
	case float64:
		if float64(float32(x)) != x {
			return nil, fmt.Errorf("%w: %v is not a FLOAT value", ErrInvalid, x)
		}
		return float32Value(float32(x))
	}
	return nil, wrongType(v, "a float32")
}

func doubleFromBinlog(v any) (any, error) {
	x, ok := v.(float64)
	if !ok {
		return nil, wrongType(v, "a float64")
	}
	return float64Value(x)
}

// floatFromString parses a FLOAT (bits 32) or DOUBLE (bits 64) from text.
// For FLOAT the text may be either the float32's shortest form or the exact
// float64 widening (what SelectExpr's CAST prints): both round to the same
// float32.
func floatFromString(s string, bits int) (float64, error) {
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a %d-bit float", ErrInvalid, s, bits)
	}
	if bits == 32 {
		return float32Value(float32(f))
	}
	return float64Value(f)
}

// floatToSQL returns a float64. For FLOAT it is the float32's exact
// widening (1.1 is sent as 1.100000023841858): the server range-checks the
// double before rounding it to float32, so the shortest form of FLT_MAX,
// 3.4028235e38, would be out of range, while the exact widening always
// fits and rounds to the original bits.
func floatToSQL(k kind, v any) (any, error) {
	var f float64
	var err error
	bits := 64
	if k == kindFloat {
		bits = 32
	}
	switch x := v.(type) {
	case float64:
		if bits == 32 {
			var w any
			w, err = floatFromBinlog(x)
			f, _ = w.(float64)
		} else {
			f, err = float64Value(x)
		}
	case json.Number:
		f, err = floatFromString(string(x), bits)
	case string:
		f, err = floatFromString(x, bits)
	default:
		return nil, wrongType(v, "a json.Number, a string or a float64")
	}
	if err != nil {
		return nil, err
	}
	if bits == 32 {
		return float64(float32(f)), nil
	}
	return f, nil
}
