package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestFlagTypoSuggestsFlag mistypes every flag of every subcommand (its own
// and the inherited --log-level and --log-format) by dropping one letter, and
// checks that the error names the flag it meant, as an unknown subcommand
// names the closest command.
func TestFlagTypoSuggestsFlag(t *testing.T) {
	for _, cmd := range newRoot(&bytes.Buffer{}, &bytes.Buffer{}, nil).Commands() {
		visit := func(f *pflag.Flag) {
			if len(f.Name) < 4 {
				return
			}
			typo := f.Name[:2] + f.Name[3:]
			var stderr bytes.Buffer
			code := Main([]string{cmd.Name(), "--" + typo, "x"}, &bytes.Buffer{}, &stderr, nil)
			want := "did you mean --" + f.Name
			if code == 0 || !strings.Contains(stderr.String(), want) {
				t.Errorf("sluice %s --%s: exit %d, %q; want it to say %q", cmd.Name(), typo, code, stderr.String(), want)
			}
		}
		cmd.Flags().VisitAll(visit)
		cmd.InheritedFlags().VisitAll(visit)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"run", "--confg", "x.yaml"}, "sluice: unknown flag: --confg (did you mean --config?)\n", 1},
		{[]string{"run", "--confg=x.yaml"}, "sluice: unknown flag: --confg (did you mean --config?)\n", 1},
		// One dash before a long name: pflag reads it as shorthand -c.
		{[]string{"status", "-config", "x.yaml"}, "sluice: unknown shorthand flag: 'c' in -config (did you mean --config?)\n", 1},
		// Several close ones: all are named. check exits 2 on a usage error.
		{[]string{"check", "--con"}, "sluice: unknown flag: --con (did you mean --config or --connector?)\n", 2},
		{[]string{"verify", "--tabl"}, "sluice: unknown flag: --tabl (did you mean --table?)\n", 1},
		{[]string{"status", "--admn"}, "sluice: unknown flag: --admn (did you mean --admin?)\n", 1},
		{[]string{"run", "--xyzzy"}, "sluice: unknown flag: --xyzzy (see sluice run --help)\n", 1},
		// Other flag errors are left as they are.
		{[]string{"status", "--timeout", "soon"}, `sluice: invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"` + "\n", 1},
	} {
		var stderr bytes.Buffer
		if code := Main(c.args, &bytes.Buffer{}, &stderr, nil); code != c.code || stderr.String() != c.want {
			t.Errorf("sluice %s: exit %d\n%s\nwant exit %d\n%s", strings.Join(c.args, " "), code, stderr.String(), c.code, c.want)
		}
	}
}
