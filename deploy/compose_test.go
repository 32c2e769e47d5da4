package deploy

// docker-compose.yml is loaded with compose-go, the library behind `docker
// compose`, which validates it against the Compose schema and resolves
// interpolation, anchors, merge keys and relative paths exactly as Docker
// would. No Docker engine is needed.

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// envDefaultRe is a compose value taken from the environment, with a demo
// default: ${NAME:-value}.
var envDefaultRe = regexp.MustCompile(`^\$\{[A-Z][A-Z0-9_]*:-[^}]+\}$`)

// loadCompose loads docker-compose.yml as `docker compose config` would in
// an empty environment without a .env file, so every ${NAME:-default} takes
// its default. Bind mount sources come back as absolute paths.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("sluice"), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml is not a valid Compose file: %v", err)
	}
	for _, name := range []string{"source", "replica", "kafka", "sluice-source", "sluice-sink", "prometheus", "grafana"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("docker-compose.yml: no service %s (services: %v)", name, sortedKeys(p.Services))
		}
	}
	return p
}

// repoPath returns the repository-relative path of an absolute path inside
// the repository, or "" for one outside it.
func repoPath(t *testing.T, abs string) string {
	t.Helper()
	root, _ := filepath.Abs(repoRoot)
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return filepath.ToSlash(rel)
}

// hostPath returns the repository path that a bind mount of s shows at the
// container path p, or "" when no bind mount covers p.
func hostPath(t *testing.T, s types.ServiceConfig, p string) string {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(v.Target, "/")); ok && (rest == "" || rest[0] == '/') {
			if src := repoPath(t, v.Source); src != "" {
				return strings.TrimPrefix(src+rest, "./")
			}
		}
	}
	return ""
}

// env returns a service's interpolated environment; a variable without a
// value is empty.
func env(s types.ServiceConfig) map[string]string {
	out := map[string]string{}
	for k, v := range s.Environment {
		out[k] = ""
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// TestComposeFiles checks that what docker-compose.yml mounts and builds
// exists, that passwords come from the environment, and that the databases
// and the broker are healthy before sluice starts.
func TestComposeFiles(t *testing.T) {
	p := loadCompose(t)
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		if s.Build != nil && !exists(repoPath(t, filepath.Join(s.Build.Context, s.Build.Dockerfile))) {
			t.Errorf("service %s: build dockerfile %s does not exist in the repository", name, s.Build.Dockerfile)
		}
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				if rel := repoPath(t, v.Source); rel == "" || !exists(rel) {
					t.Errorf("service %s: mounts %s, which is not a file of the repository", name, v.Source)
				}
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("service %s: volume %s is not declared under volumes:", name, v.Source)
				}
			}
		}
	}
	checkComposePasswords(t)
	for _, name := range []string{"source", "replica", "kafka"} {
		if hc := p.Services[name].HealthCheck; hc == nil || len(hc.Test) == 0 {
			t.Errorf("service %s has no healthcheck", name)
		}
	}
	for _, db := range []string{"source", "replica"} {
		if img := p.Services[db].Image; !strings.HasPrefix(img, "mysql:8") {
			t.Errorf("service %s: image %s, want MySQL 8 (mysql:8.x)", db, img)
		}
	}
	src := strings.Join(p.Services["source"].Command, " ")
	for _, flag := range []string{"--log-bin", "--binlog-format=ROW", "--binlog-row-image=FULL",
		"--gtid-mode=ON", "--enforce-gtid-consistency=ON", "--server-id="} {
		if !strings.Contains(src, flag) {
			t.Errorf("service source: command %q lacks %s", src, flag)
		}
	}
	checkKafka(t, p.Services["kafka"])
	checkSourceGrants(t, p.Services["source"].Image)
}

// checkComposePasswords reads docker-compose.yml as written, before
// interpolation: every *PASSWORD* variable must come from the environment
// with a demo default, or be empty for a process that does not need it.
func checkComposePasswords(t *testing.T) {
	var f struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(readFile(t, "docker-compose.yml"), &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range sortedKeys(f.Services) {
		for k, v := range f.Services[name].Environment {
			if strings.Contains(k, "PASSWORD") && v != "" && !envDefaultRe.MatchString(v) {
				t.Errorf("service %s: %s=%q, want ${NAME:-demo-default} from the environment", name, k, v)
			}
		}
	}
}

// checkKafka checks the broker is a single KRaft node, broker and
// controller at once, that votes for itself.
func checkKafka(t *testing.T, s types.ServiceConfig) {
	e := env(s)
	if !strings.HasPrefix(s.Image, "apache/kafka:") {
		t.Errorf("service kafka: image %s, want apache/kafka", s.Image)
	}
	roles := strings.Split(e["KAFKA_PROCESS_ROLES"], ",")
	if slices.Sort(roles); !slices.Equal(roles, []string{"broker", "controller"}) {
		t.Errorf("service kafka: KAFKA_PROCESS_ROLES=%q, want broker,controller (KRaft, one node)", e["KAFKA_PROCESS_ROLES"])
	}
	if voters := e["KAFKA_CONTROLLER_QUORUM_VOTERS"]; voters != e["KAFKA_NODE_ID"]+"@kafka:9093" {
		t.Errorf("service kafka: KAFKA_CONTROLLER_QUORUM_VOTERS=%q, want %s@kafka:9093", voters, e["KAFKA_NODE_ID"])
	}
	for _, k := range []string{"CLUSTER_ID", "KAFKA_CONTROLLER_LISTENER_NAMES", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS"} {
		if e[k] == "" {
			t.Errorf("service kafka: %s is not set", k)
		}
	}
	if rf := e["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]; rf != "1" {
		t.Errorf("service kafka: KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=%q, want 1 on a single broker", rf)
	}
}

// checkSourceGrants allows the compose source user nothing beyond what the
// docs/security.md says sluice needs: RELOAD only on MySQL, for the snapshot lock.
func checkSourceGrants(t *testing.T, image string) {
	allowed := map[string]bool{"REPLICATION SLAVE": true, "REPLICATION CLIENT": true, "SELECT": true}
	if strings.HasPrefix(image, "mysql:") {
		allowed["RELOAD"] = true
	}
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
