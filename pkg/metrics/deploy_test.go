package metrics

// The files in deploy/ and docker-compose.yml are checked here, next to the
// metric declarations they depend on: alert rules may only name declared
// metrics, every rule carries what an on-call person needs, and the compose,
// Kubernetes and systemd files agree with the config files they run.

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/sluice-cdc/sluice/pkg/config"
)

// repoRoot is the repository root, relative to this package.
const repoRoot = "../.."

var (
	fqNameRe   = regexp.MustCompile(`fqName: "([^"]+)"`)
	metricRe   = regexp.MustCompile(`\bsluice_[A-Za-z0-9_]+`)
	envRefRe   = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	deployRe   = regexp.MustCompile(`\bdeploy/[A-Za-z0-9_./-]*[A-Za-z0-9_]`)
	durationRe = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	// envDefaultRe is a compose value taken from the environment, with a demo
	// default: ${NAME:-value}.
	envDefaultRe = regexp.MustCompile(`^\$\{[A-Z][A-Z0-9_]*:-[^}]+\}$`)
)

// declaredSeries returns every series name the metrics of New can expose:
// each collector's descriptor names, plus _bucket, _sum and _count for
// histograms.
func declaredSeries(t *testing.T) map[string]bool {
	t.Helper()
	m := New()
	v := reflect.ValueOf(m).Elem()
	names := map[string]bool{}
	for i := range v.NumField() {
		field := v.Type().Field(i).Name
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if _, isRegistry := c.(*prometheus.Registry); !ok || isRegistry {
			continue // the Registry is a Collector too: of everything on it
		}
		if v.Field(i).IsNil() {
			t.Fatalf("Metrics.%s is nil after New", field)
		}
		var are prometheus.AlreadyRegisteredError
		if err := m.Registry.Register(c); !errors.As(err, &are) {
			t.Errorf("Metrics.%s is not registered on Metrics.Registry (Register returned %v)", field, err)
		}
		for _, name := range describe(c) {
			switch c.(type) {
			case *prometheus.HistogramVec, prometheus.Histogram:
				names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
			case *prometheus.CounterVec, prometheus.Counter:
				if !strings.HasSuffix(name, "_total") {
					t.Errorf("Metrics.%s: counter %s must be named *_total", field, name)
				}
			}
			names[name] = true
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d metric names in Metrics; is the reflection walk broken?", len(names))
	}
	return names
}

// describe returns the fully qualified names of c's descriptors.
func describe(c prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	var out []string
	for d := range ch {
		if m := fqNameRe.FindStringSubmatch(d.String()); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	return err == nil
}

// deployFiles lists the files under deploy/ except the demo, which is not a
// deployment file (its shell function names start with sluice_ too).
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
		if !d.IsDir() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDeployMetricNames fails on any sluice_ name in the Prometheus files or
// dashboards under deploy/ that pkg/metrics does not declare.
func TestDeployMetricNames(t *testing.T) {
	declared := declaredSeries(t)
	used := map[string]bool{}
	for _, rel := range deployFiles(t) {
		if !strings.HasPrefix(rel, "deploy/prometheus/") && path.Ext(rel) != ".json" {
			continue
		}
		for i, line := range strings.Split(string(readFile(t, rel)), "\n") {
			for _, name := range metricRe.FindAllString(line, -1) {
				used[name] = true
				if !declared[name] {
					t.Errorf("%s:%d: %s is not declared in pkg/metrics/metrics.go", rel, i+1, name)
				}
			}
		}
	}
	for _, want := range []string{"sluice_connector_up", "sluice_sink_replication_lag_seconds",
		"sluice_source_lag_seconds", "sluice_errors_total", "sluice_sink_commits_total",
		"sluice_source_transactions_total"} {
		if !used[want] {
			t.Errorf("no file in deploy/prometheus uses %s; the alert rules should", want)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// TestAlertRules decodes alerts.yml strictly and checks that every rule is
// complete and that the alerts operators rely on are there.
func TestAlertRules(t *testing.T) {
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/prometheus/alerts.yml")))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	exprs := map[string]string{}
	for _, g := range f.Groups {
		for i, r := range g.Rules {
			where := g.Name + "[" + r.Alert + "]"
			if r.Alert == "" {
				t.Errorf("group %s rule %d: no alert name (recording rules belong elsewhere)", g.Name, i)
			}
			if _, dup := exprs[r.Alert]; dup {
				t.Errorf("%s: alert name used twice", where)
			}
			exprs[r.Alert] = r.Expr
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s: no expr", where)
			}
			if !durationRe.MatchString(r.For) {
				t.Errorf("%s: for %q is not a duration such as 2m", where, r.For)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("%s: labels.severity %q, want critical, warning or info", where, s)
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no annotations.%s", where, a)
				}
			}
		}
	}
	// What each required alert must test, as written in its expr.
	required := map[string][]string{
		"SluiceProcessDown":        {"up{", "== 0"},
		"SluiceConnectorDown":      {"sluice_connector_up == 0"},
		"SluiceErrors":             {"rate(sluice_errors_total["},
		"SluiceSourceLagHigh":      {"sluice_source_lag_seconds >"},
		"SluiceReplicationLagHigh": {"sluice_sink_replication_lag_seconds > 30"},
		"SluiceSinkStalled":        {"increase(sluice_sink_commits_total[", "sluice_source_transactions_total"},
	}
	for name, parts := range required {
		expr, ok := exprs[name]
		if !ok {
			t.Errorf("alerts.yml: no alert %s", name)
		}
		for _, p := range parts {
			if ok && !strings.Contains(expr, p) {
				t.Errorf("alerts.yml: %s: expr %q does not contain %q", name, expr, p)
			}
		}
	}
}

// TestPromtool runs Prometheus's own checks and the rule unit tests when
// promtool is installed (Debian: apt-get install prometheus).
func TestPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed; alerts.yml is still checked by TestAlertRules")
	}
	dir := filepath.Join(repoRoot, "deploy", "prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDeployPathsExist checks that every deploy/... path named in the
// deployment files and their comments exists.
func TestDeployPathsExist(t *testing.T) {
	for _, rel := range append(deployFiles(t), "docker-compose.yml") {
		for i, line := range strings.Split(string(readFile(t, rel)), "\n") {
			for _, p := range deployRe.FindAllString(line, -1) {
				if !exists(p) {
					t.Errorf("%s:%d: %s does not exist", rel, i+1, p)
				}
			}
		}
	}
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
	c, err := config.Parse(data, name)
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

// TestSystemdUnit loads the config the unit runs with the variables of the
// example environment file, and checks that its state fits the unit's
// writable directory.
func TestSystemdUnit(t *testing.T) {
	unit := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, "deploy/systemd/sluice.service")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = v
		}
	}
	for _, k := range []string{"ExecStart", "EnvironmentFile", "StateDirectory", "Restart"} {
		if unit[k] == "" {
			t.Errorf("sluice.service: no %s=", k)
		}
	}
	if unit["User"] == "root" || (unit["User"] == "" && unit["DynamicUser"] != "yes") {
		t.Errorf("sluice.service runs as root; set DynamicUser=yes or User=")
	}
	args := strings.Fields(unit["ExecStart"])
	if len(args) < 2 || path.Base(args[0]) != "sluice" || args[1] != "run" || flagValue(args, "--config") == "" {
		t.Fatalf("sluice.service: ExecStart=%s, want sluice run --config FILE", unit["ExecStart"])
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, "deploy/systemd/sluice.env.example")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = v
		}
	}
	c := loadConfig(t, readFile(t, "deploy/systemd/sluice.yaml"), "deploy/systemd/sluice.yaml", env)
	state := "/var/lib/" + unit["StateDirectory"] + "/"
	if c.Embedded() && !strings.HasPrefix(c.Kafka.Embedded.DataDir, state) {
		t.Errorf("deploy/systemd/sluice.yaml: kafka.embedded.data_dir %s is outside %s, the unit's only writable directory",
			c.Kafka.Embedded.DataDir, state)
	}
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var f composeFile
	if err := yaml.Unmarshal(readFile(t, "docker-compose.yml"), &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"source", "replica", "sluice"} {
		if _, ok := f.Services[name]; !ok {
			t.Fatalf("docker-compose.yml: no service %s", name)
		}
	}
	return f
}

// TestComposeFiles checks that what docker-compose.yml mounts and builds
// exists, that passwords come from the environment, and that the databases
// are healthy before sluice starts.
func TestComposeFiles(t *testing.T) {
	f := loadCompose(t)
	for _, name := range sortedKeys(f.Services) {
		s := f.Services[name]
		if s.Build.Dockerfile != "" && !exists(path.Join(s.Build.Context, s.Build.Dockerfile)) {
			t.Errorf("service %s: build dockerfile %s does not exist", name, s.Build.Dockerfile)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if !exists(src) {
					t.Errorf("service %s: mounts %s, which does not exist", name, src)
				}
			} else if _, ok := f.Volumes[src]; !ok {
				t.Errorf("service %s: volume %s is not declared under volumes:", name, src)
			}
		}
		for k, v := range s.Environment {
			if strings.Contains(k, "PASSWORD") && !envDefaultRe.MatchString(v) {
				t.Errorf("service %s: %s=%q, want ${NAME:-demo-default} from the environment", name, k, v)
			}
		}
	}
	for _, db := range []string{"source", "replica"} {
		if f.Services[db].Healthcheck == nil {
			t.Errorf("service %s has no healthcheck", db)
		}
		if c := f.Services["sluice"].DependsOn[db].Condition; c != "service_healthy" {
			t.Errorf("sluice depends_on %s: condition %q, want service_healthy", db, c)
		}
	}
	src := strings.Join(f.Services["source"].Command, " ")
	for _, flag := range []string{"--log-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id="} {
		if !strings.Contains(src, flag) {
			t.Errorf("service source: command %q lacks %s", src, flag)
		}
	}
	checkSourceGrants(t)
}

// checkSourceGrants allows the compose source user nothing beyond what the
// README says sluice needs.
func checkSourceGrants(t *testing.T) {
	allowed := map[string]bool{"REPLICATION SLAVE": true, "REPLICATION CLIENT": true, "SELECT": true}
	grants := regexp.MustCompile(`(?is)\bGRANT\s+(.+?)\s+ON\s`).FindAllSubmatch(readFile(t, "deploy/compose/source-init.sql"), -1)
	if len(grants) == 0 {
		t.Fatal("deploy/compose/source-init.sql grants nothing")
	}
	for _, g := range grants {
		for _, p := range strings.Split(string(g[1]), ",") {
			if p = strings.ToUpper(strings.Join(strings.Fields(p), " ")); !allowed[p] {
				t.Errorf("deploy/compose/source-init.sql grants %s; the source user needs only %v", p, sortedKeys(allowed))
			}
		}
	}
}

// TestComposeSluiceConfig loads the config the sluice service runs, with the
// service's environment, and checks it against the service.
func TestComposeSluiceConfig(t *testing.T) {
	f := loadCompose(t)
	s := f.Services["sluice"]
	cfgPath := flagValue(s.Command, "--config")
	var src string
	for _, v := range s.Volumes {
		if parts := strings.Split(v, ":"); len(parts) >= 2 && parts[1] == cfgPath {
			src = parts[0]
		}
	}
	if src == "" {
		t.Fatalf("sluice runs --config %q, which no volume of the service mounts", cfgPath)
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		_, def, _ := strings.Cut(strings.TrimSuffix(v, "}"), ":-")
		env[k] = def
	}
	c := loadConfig(t, readFile(t, src), src, env)

	p := port(t, c.Admin.Listen)
	if host, _, _ := net.SplitHostPort(c.Admin.Listen); host != "0.0.0.0" && host != "" {
		t.Errorf("%s: admin.listen %s is unreachable from outside the container", src, c.Admin.Listen)
	}
	if !slices.Contains(s.Ports, "127.0.0.1:"+p+":"+p) {
		t.Errorf("sluice: ports %v do not publish admin port %s on 127.0.0.1", s.Ports, p)
	}
	if !slices.Contains(dockerfileExposed(t), p) {
		t.Errorf("deploy/Dockerfile does not EXPOSE admin port %s", p)
	}
	if c.Embedded() && !onNamedVolume(f, s, c.Kafka.Embedded.DataDir) {
		t.Errorf("%s: kafka.embedded.data_dir %s is not on a named volume of the sluice service", src, c.Kafka.Embedded.DataDir)
	}
	dsnHost := regexp.MustCompile(`@tcp\(([^:)]+)`)
	for _, conn := range c.Connectors {
		host := ""
		if m := dsnHost.FindStringSubmatch(conn.DSN); m != nil {
			host = m[1]
		}
		if _, ok := f.Services[host]; !ok {
			t.Errorf("%s: connector %s: DSN host is not a compose database service", src, conn.Name)
		}
		if conn.ServerID != 0 && slices.Contains(f.Services["source"].Command, "--server-id="+strconv.FormatUint(uint64(conn.ServerID), 10)) {
			t.Errorf("%s: connector %s: server_id equals the source server's own --server-id", src, conn.Name)
		}
	}
}

func onNamedVolume(f composeFile, s composeService, dir string) bool {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if _, named := f.Volumes[parts[0]]; named && len(parts) >= 2 && strings.HasPrefix(dir+"/", strings.TrimSuffix(parts[1], "/")+"/") {
			return true
		}
	}
	return false
}

// dockerfileExposed returns the ports deploy/Dockerfile exposes, after
// checking the shape of the image: a CGO-free build of ./cmd/sluice, a
// non-root final stage whose entrypoint is sluice.
func dockerfileExposed(t *testing.T) []string {
	t.Helper()
	text := string(readFile(t, "deploy/Dockerfile"))
	for _, want := range []string{"CGO_ENABLED=0", "go build", "./cmd/sluice"} {
		if !strings.Contains(text, want) {
			t.Errorf("deploy/Dockerfile: no %s", want)
		}
	}
	var exposed []string
	var user, entrypoint string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			user, entrypoint = "", "" // a new stage starts over
		case "USER":
			user = fields[1]
		case "ENTRYPOINT":
			entrypoint = strings.Join(fields[1:], " ")
		case "EXPOSE":
			for _, p := range fields[1:] {
				exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
			}
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("deploy/Dockerfile: final stage runs as %q, want a non-root USER", user)
	}
	if !strings.Contains(entrypoint, "sluice") {
		t.Errorf("deploy/Dockerfile: final ENTRYPOINT %q does not run sluice", entrypoint)
	}
	var ignore []string
	for _, line := range strings.Split(string(readFile(t, "deploy/Dockerfile.dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignore = append(ignore, strings.Trim(line, "/"))
		}
	}
	for _, need := range []string{"go.mod", "go.sum", "cmd", "pkg", "connectors"} {
		if slices.Contains(ignore, need) {
			t.Errorf("deploy/Dockerfile.dockerignore excludes %s, which the build needs", need)
		}
	}
	return exposed
}

type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Template struct {
			Spec struct {
				Containers []k8sContainer `yaml:"containers"`
				Volumes    []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name string   `yaml:"name"`
	Args []string `yaml:"args"`
	Env  []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe   *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe  *k8sProbe `yaml:"readinessProbe"`
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a port name or number
	} `yaml:"httpGet"`
}

// TestKubernetesSidecar checks deploy/k8s/sidecar.yaml: every Secret key and
// ConfigMap it references exists, each sluice container's config loads with
// that container's environment, its --connector names exist, and its probes
// ask /healthz and /readyz on the admin port.
func TestKubernetesSidecar(t *testing.T) {
	objs := map[string]map[string]k8sObject{} // kind -> name -> object
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/k8s/sidecar.yaml")))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("deploy/k8s/sidecar.yaml: %v", err)
		}
		if objs[o.Kind] == nil {
			objs[o.Kind] = map[string]k8sObject{}
		}
		objs[o.Kind][o.Metadata.Name] = o
	}
	sluices := 0
	for _, kind := range []string{"StatefulSet", "Deployment"} {
		for _, name := range sortedKeys(objs[kind]) {
			pod := objs[kind][name].Spec.Template.Spec
			configMaps := map[string]string{} // volume -> ConfigMap
			for _, v := range pod.Volumes {
				if v.ConfigMap != nil {
					configMaps[v.Name] = v.ConfigMap.Name
					if _, ok := objs["ConfigMap"][v.ConfigMap.Name]; !ok {
						t.Errorf("%s %s: volume %s: no ConfigMap %s", kind, name, v.Name, v.ConfigMap.Name)
					}
				}
			}
			for _, c := range pod.Containers {
				where := kind + " " + name + " container " + c.Name
				env := k8sEnv(t, where, c, objs["Secret"])
				if len(c.Args) > 0 && (c.Args[0] == "run" || c.Args[0] == "broker") {
					sluices++
					checkSluiceContainer(t, where, c, env, configMaps, objs["ConfigMap"])
				}
			}
		}
	}
	if sluices < 1 {
		t.Error("deploy/k8s/sidecar.yaml: no sluice container (args run or broker)")
	}
}

// k8sEnv returns a container's environment, with secrets as placeholders,
// after checking that every secretKeyRef resolves.
func k8sEnv(t *testing.T, where string, c k8sContainer, secrets map[string]k8sObject) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		s := secrets[ref.Name]
		_, inData := s.Data[ref.Key]
		_, inString := s.StringData[ref.Key]
		if !inData && !inString {
			t.Errorf("%s: env %s: Secret %s has no key %s", where, e.Name, ref.Name, ref.Key)
		}
		env[e.Name] = "secret-" + ref.Key
	}
	return env
}

func checkSluiceContainer(t *testing.T, where string, c k8sContainer, env, configMaps map[string]string, cms map[string]k8sObject) {
	cfgPath := flagValue(c.Args, "--config")
	var data string
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == path.Dir(cfgPath) {
			data = cms[configMaps[m.Name]].Data[path.Base(cfgPath)]
		}
	}
	if data == "" {
		t.Errorf("%s: --config %q is in no mounted ConfigMap", where, cfgPath)
		return
	}
	c2 := loadConfig(t, []byte(data), where+" "+cfgPath, env)
	for i, a := range c.Args {
		if a == "--connector" && i+1 < len(c.Args) && c2.Connector(c.Args[i+1]) == nil {
			t.Errorf("%s: --connector %s is not in the config", where, c.Args[i+1])
		}
	}
	admin := port(t, c2.Admin.Listen)
	for _, p := range []struct {
		probe      *k8sProbe
		kind, want string
	}{{c.LivenessProbe, "liveness", "/healthz"}, {c.ReadinessProbe, "readiness", "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.want {
			t.Errorf("%s: %s probe must GET %s", where, p.kind, p.want)
			continue
		}
		got := p.probe.HTTPGet.Port
		for _, cp := range c.Ports {
			if cp.Name == got {
				got = strconv.Itoa(cp.ContainerPort)
			}
		}
		if got != admin {
			t.Errorf("%s: %s probe port %s, want admin.listen's %s", where, p.kind, p.probe.HTTPGet.Port, admin)
		}
	}
	if !c.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: securityContext.runAsNonRoot is not true", where)
	}
}
