package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	lookup := env("A=alpha", "EMPTY=", "P=p@ss/w:rd", "DOLLAR=$x")
	for _, tc := range []struct {
		in, want string
		used     bool
		err      string // fragment of the error, "" for none
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha", used: true},
		{in: "x${A}y${A}", want: "xalphayalpha", used: true},
		{in: "${EMPTY}", want: "", used: true},
		{in: "u:${P}@tcp(h)/", want: "u:p@ss/w:rd@tcp(h)/", used: true},
		{in: "${DOLLAR}", want: "$x", used: true}, // values are not expanded again
		{in: "$${A}", want: "${A}"},
		{in: "$${A}${A}", want: "${A}alpha", used: true},
		{in: "pa$$word$A", want: "pa$$word$A"},
		{in: "$", want: "$"},
		{in: "${MISSING}", err: "environment variable MISSING is not set; export it"},
		{in: "${M1}${A}${M2}${M1}", err: "environment variables M1, M2 are not set"},
		{in: "${A", err: `"${" without a closing "}"`},
		{in: "${}", err: `"${}" is not a variable reference`},
		{in: "${A:-x}", err: `defaults such as ${X:-y} are not supported`},
		{in: "${1A}", err: "is not a variable reference"},
	} {
		got, used, err := expand(tc.in, lookup)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expand(%q) error = %v, want one containing %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("expand(%q): %v", tc.in, err)
		case got != tc.want || used != tc.used:
			t.Errorf("expand(%q) = %q, %v; want %q, %v", tc.in, got, used, tc.want, tc.used)
		}
	}
}

// env returns a lookup over the given NAME=value pairs.
func env(pairs ...string) func(string) (string, bool) {
	m := map[string]string{}
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
