package value

import (
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// temporalValue checks the text form of a DATE, DATETIME, TIMESTAMP or TIME
// and gives it exactly the column's number of fractional digits. go-mysql
// prints "00:00:00" for a zero TIME(6) and drops a zero fraction, the text
// protocol prints all of the column's digits: both become the latter.
// Zero dates ("0000-00-00", "0000-00-00 00:00:00") are kept as MySQL prints
// them; the sink writes the text back.
func temporalValue(c *event.Column, k kind, s string) (string, error) {
	n, err := fsp(c)
	if err != nil {
		return "", err
	}
	switch k {
	case kindDate:
		if !matchDigits(s, "dddd-dd-dd") {
			return "", fmt.Errorf("%w: %q is not a DATE (YYYY-MM-DD)", ErrInvalid, s)
		}
		return s, nil
	case kindTime:
		return timeValue(s, n)
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !matchDigits(whole, "dddd-dd-dd dd:dd:dd") || (hasFrac && frac == "") {
		return "", fmt.Errorf("%w: %q is not a DATETIME (YYYY-MM-DD HH:MM:SS[.fraction])", ErrInvalid, s)
	}
	f, err := fraction(frac, n)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	return whole + f, nil
}

// timeValue handles TIME: [-]HH:MM:SS with two or three hour digits
// (-838:59:59 to 838:59:59).
func timeValue(s string, n int) (string, error) {
	body, neg := strings.CutPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(body, ".")
	if !(matchDigits(whole, "dd:dd:dd") || matchDigits(whole, "ddd:dd:dd")) || (hasFrac && frac == "") {
		return "", fmt.Errorf("%w: %q is not a TIME ([-]HH:MM:SS[.fraction])", ErrInvalid, s)
	}
	f, err := fraction(frac, n)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	if neg {
		return "-" + whole + f, nil
	}
	return whole + f, nil
}

// fraction returns "" for n == 0, else "." and exactly n digits. Digits
// past n must be zeros: the value is never rounded.
func fraction(frac string, n int) (string, error) {
	if !allDigits(frac) {
		return "", fmt.Errorf("%w: fraction %q is not digits", ErrInvalid, frac)
	}
	if len(frac) > n {
		if strings.Trim(frac[n:], "0") != "" {
			return "", fmt.Errorf("%w: more than %d fractional digits", ErrInvalid, n)
		}
		frac = frac[:n]
	}
	if n == 0 {
		return "", nil
	}
	return "." + frac + strings.Repeat("0", n-len(frac)), nil
}

// matchDigits reports whether s has the shape of pattern, where 'd' stands
// for an ASCII digit and any other byte for itself.
func matchDigits(s, pattern string) bool {
	if len(s) != len(pattern) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if pattern[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != pattern[i] {
			return false
		}
	}
	return true
}
