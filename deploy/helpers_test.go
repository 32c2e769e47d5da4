package deploy

import (
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// repoRoot is the repository root, relative to this package.
const repoRoot = ".."

var (
	fqNameRe = regexp.MustCompile(`fqName: "([^"]+)"`)
	envRefRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// declaredSeries returns every series name the metrics of metrics.New can
// expose: each field's descriptor names from Describe, plus _bucket, _sum and
// _count for histograms. It describes the fields one by one; the Registry
// field is skipped (it is a Collector of everything on it).
func declaredSeries(t *testing.T) map[string]bool {
	t.Helper()
	v := reflect.ValueOf(metrics.New()).Elem()
	names := map[string]bool{}
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if _, isRegistry := c.(*prometheus.Registry); !ok || isRegistry || v.Field(i).IsNil() {
			continue
		}
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := fqNameRe.FindStringSubmatch(d.String())
			if m == nil {
				continue
			}
			names[m[1]] = true
			if _, isHist := c.(*prometheus.HistogramVec); isHist {
				names[m[1]+"_bucket"], names[m[1]+"_sum"], names[m[1]+"_count"] = true, true, true
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d metric names in metrics.Metrics; is the reflection walk broken?", len(names))
	}
	return names
}

// promtool returns the path of promtool. Outside CI a missing promtool
// skips the test; under CI=true it fails it, since .ci/run installs it.
func promtool(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool not found, and CI=true: .ci/run installs Debian's prometheus package, which has it")
	}
	t.Skip("promtool not installed (apt-get install prometheus); CI runs this test")
	return ""
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	return err == nil
}

// deployFiles lists the files under deploy/, relative to the repository,
// except the demo (not a deployment file; its shell functions start with
// sluice_ too) and this package's Go files.
func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(repoRoot, "deploy"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && rel == "deploy/demo" {
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Ext(p) != ".go" {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// loadConfig parses the sluice config in data with the given environment,
// after checking that the environment provides every ${NAME} it uses.
func loadConfig(t *testing.T, data []byte, name string, env map[string]string) *config.Config {
	t.Helper()
	for _, m := range envRefRe.FindAllSubmatch(data, -1) {
		if _, ok := env[string(m[1])]; !ok {
			t.Errorf("%s uses ${%s}, which its deployment does not set", name, m[1])
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	c, err := config.Parse(data, name, connectors.Builtin.Kinds())
	if err != nil {
		t.Fatalf("%s does not load:\n%v", name, err)
	}
	return c
}

func port(t *testing.T, hostport string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// flagValue returns the argument after flag in args.
func flagValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// flagValues returns the arguments after each occurrence of flag in args.
func flagValues(args []string, flag string) []string {
	var out []string
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			out = append(out, args[i+1])
		}
	}
	return out
}

// lines calls f for each line of the file rel, numbered from 1.
func lines(t *testing.T, rel string, f func(n int, line string)) {
	t.Helper()
	for i, line := range strings.Split(string(readFile(t, rel)), "\n") {
		f(i+1, line)
	}
}
