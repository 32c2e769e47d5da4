// Package configtest checks what config.Parse reports, for the tests of
// pkg/config and of the connector types that decode and validate their own
// keys: every problem with its line, key path and message.
package configtest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
)

// File is the name the helpers parse under; messages start with it.
const File = "t.yaml"

// Parse parses src as File with kinds, failing t on any problem. ${VAR}
// expands from the process environment: set it with t.Setenv.
func Parse(t testing.TB, src string, kinds config.Kinds) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(src), File, kinds)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

// ParseErrs parses src as File with kinds and returns its Errors, failing t
// if there are none or if a Config comes along with them.
func ParseErrs(t testing.TB, src string, kinds config.Kinds) config.Errors {
	t.Helper()
	c, err := config.Parse([]byte(src), File, kinds)
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("parse returned %v (config %+v), want Errors", err, c)
	}
	if c != nil {
		t.Errorf("parse returned a Config along with errors")
	}
	return errs
}

// CheckErrs compares errs with want, in order, each written
// "LINE PATH: |fragment of the message" ("LINE |fragment" without a path).
func CheckErrs(t testing.TB, errs config.Errors, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i, w := range want {
		e := errs[i]
		if e.File != File {
			t.Errorf("error %d names file %q, want %s", i, e.File, File)
		}
		prefix := fmt.Sprintf("%d %s: ", e.Line, e.Path)
		if e.Path == "" {
			prefix = fmt.Sprintf("%d ", e.Line)
		}
		wantPrefix, frag, _ := strings.Cut(w, "|")
		if prefix != wantPrefix || !strings.Contains(e.Msg, frag) {
			t.Errorf("error %d = %q\nwant %q and a message containing %q", i, e.Error(), wantPrefix, frag)
		}
	}
}

// Unsetenv unsets the named environment variables until the test ends.
func Unsetenv(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		t.Setenv(n, "") // restores the old value when the test ends
		os.Unsetenv(n)
	}
}

// Case is a file and the problems Parse must report in it, each written as
// for CheckErrs; with none, the file must be valid. It is an alias of an
// unnamed struct so that tables may list cases without field names.
type Case = struct {
	Name string
	Src  string
	Want []string
}

// Run checks each case as a subtest, parsing with kinds.
func Run(t *testing.T, kinds config.Kinds, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			if tc.Want == nil {
				Parse(t, tc.Src, kinds)
				return
			}
			CheckErrs(t, ParseErrs(t, tc.Src, kinds), tc.Want)
		})
	}
}
