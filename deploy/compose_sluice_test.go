package deploy

import (
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// sluiceServices returns the compose services that run sluice, by the
// address Prometheus scrapes each at: service name and admin port.
func sluiceServices(t *testing.T, p *types.Project) map[string]string {
	out := map[string]string{}
	run := map[string]string{}          // connector -> service
	cfgs := map[string]*config.Config{} // by file
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		if len(s.Command) == 0 || s.Command[0] != "run" {
			continue
		}
		c := composeSluiceConfig(t, name, s)
		cfgs[c.Path] = c
		connectors := flagValues(s.Command, "--connector")
		if len(connectors) == 0 {
			t.Errorf("service %s runs every connector of the file; the compose file runs each in one process (--connector)", name)
		}
		for _, cn := range connectors {
			if c.Connector(cn) == nil {
				t.Errorf("service %s: --connector %s is not in its config", name, cn)
				continue
			}
			if other, dup := run[cn]; dup {
				t.Errorf("services %s and %s both run connector %s", other, name, cn)
			}
			run[cn] = name
			checkComposeConnector(t, p, name, c.Connector(cn))
		}
		checkComposeKafka(t, p, name, c)
		out[name] = composeAdminPort(t, name, s, c)
	}
	for _, file := range sortedKeys(cfgs) {
		for _, cn := range cfgs[file].Connectors {
			if _, ok := run[cn.Name]; !ok {
				t.Errorf("connector %s of %s runs in no compose service", cn.Name, file)
			}
		}
	}
	if len(out) < 2 {
		t.Fatalf("docker-compose.yml: %d sluice services (command run ...), want the source sidecar and a sink worker", len(out))
	}
	return out
}

// composeSluiceConfig loads the config a sluice service runs, from the repo
// file mounted at its --config path, with the service's environment.
func composeSluiceConfig(t *testing.T, name string, s types.ServiceConfig) *config.Config {
	t.Helper()
	cfgPath := flagValue(s.Command, "--config")
	src := hostPath(t, s, cfgPath)
	if src == "" || !exists(src) {
		t.Fatalf("service %s runs --config %q, which no bind mount of a repository file provides", name, cfgPath)
	}
	return loadConfig(t, readFile(t, src), src, env(s))
}

// composeAdminPort checks that a sluice service's admin address (--admin,
// or admin.listen) is reachable: all interfaces in the container, exposed,
// published on the host's loopback, and the healthcheck's port if any.
func composeAdminPort(t *testing.T, name string, s types.ServiceConfig, c *config.Config) string {
	addr := c.Admin.Listen
	if a := flagValue(s.Command, "--admin"); a != "" {
		addr = a
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("service %s: admin address %q: %v", name, addr, err)
	}
	if host != "0.0.0.0" && host != "" {
		t.Errorf("service %s: admin address %s is unreachable from outside the container", name, addr)
	}
	if !slices.Contains(dockerfileExposed(t), p) && !slices.Contains([]string(s.Expose), p) {
		t.Errorf("service %s: admin port %s is neither EXPOSEd by deploy/Dockerfile nor in expose:", name, p)
	}
	published := false
	for _, pc := range s.Ports {
		if strconv.Itoa(int(pc.Target)) == p && pc.Published == p && pc.HostIP == "127.0.0.1" {
			published = true
		}
	}
	if !published {
		t.Errorf("service %s: ports %+v do not publish admin port %s on 127.0.0.1:%s", name, s.Ports, p, p)
	}
	if hc := s.HealthCheck; hc != nil && len(hc.Test) > 0 && !strings.Contains(strings.Join(hc.Test, " "), ":"+p+"/") {
		t.Errorf("service %s: healthcheck %q does not ask the admin port %s", name, hc.Test, p)
	}
	return p
}

var dsnHostRe = regexp.MustCompile(`@tcp\(([^:)]+)`)

// checkComposeConnector checks that a connector's database is a compose
// service that is healthy before sluice starts, and that a source's
// server_id differs from its server's.
func checkComposeConnector(t *testing.T, p *types.Project, name string, cn *config.Connector) {
	m := dsnHostRe.FindStringSubmatch(cn.DSN)
	if m == nil {
		t.Errorf("service %s: connector %s: DSN has no tcp(host:port)", name, cn.Name)
		return
	}
	db, ok := p.Services[m[1]]
	if !ok {
		t.Errorf("service %s: connector %s: DSN host %s is not a compose service", name, cn.Name, m[1])
		return
	}
	if c := p.Services[name].DependsOn[m[1]].Condition; c != types.ServiceConditionHealthy {
		t.Errorf("service %s depends_on %s: condition %q, want service_healthy", name, m[1], c)
	}
	if src := source.ConfigOf(cn); src != nil && slices.Contains(db.Command, "--server-id="+strconv.FormatUint(uint64(src.ServerID), 10)) {
		t.Errorf("service %s: connector %s: server_id equals the %s server's own --server-id", name, cn.Name, m[1])
	}
}

// checkComposeKafka checks that the brokers a sluice service's config lists
// are the compose broker's advertised listeners, healthy before it starts;
// with the embedded broker, that its log is on a named volume.
func checkComposeKafka(t *testing.T, p *types.Project, name string, c *config.Config) {
	s := p.Services[name]
	if c.Embedded() {
		if !onNamedVolume(s, c.Kafka.Embedded.DataDir) {
			t.Errorf("service %s: kafka.embedded.data_dir %s is not on a named volume", name, c.Kafka.Embedded.DataDir)
		}
		return
	}
	for _, b := range c.Kafka.Brokers {
		host, _, _ := net.SplitHostPort(b)
		broker, ok := p.Services[host]
		if !ok {
			t.Errorf("service %s: kafka.brokers %s is not a compose service", name, b)
			continue
		}
		if adv := env(broker)["KAFKA_ADVERTISED_LISTENERS"]; !strings.Contains(adv, "://"+b) {
			t.Errorf("service %s: kafka.brokers %s is not among %s's KAFKA_ADVERTISED_LISTENERS %q", name, b, host, adv)
		}
		if cond := s.DependsOn[host].Condition; cond != types.ServiceConditionHealthy {
			t.Errorf("service %s depends_on %s: condition %q, want service_healthy", name, host, cond)
		}
	}
}

func onNamedVolume(s types.ServiceConfig, dir string) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && strings.HasPrefix(dir+"/", strings.TrimSuffix(v.Target, "/")+"/") {
			return true
		}
	}
	return false
}

// TestComposeSluice checks the sluice services against their config and
// Prometheus's scrape targets against the sluice services.
func TestComposeSluice(t *testing.T) {
	p := loadCompose(t)
	admin := sluiceServices(t, p)
	prom := p.Services["prometheus"]
	file := flagValue(strings.Fields(strings.ReplaceAll(strings.Join(prom.Command, " "), "=", " ")), "--config.file")
	rel := hostPath(t, prom, file)
	if rel == "" || !exists(rel) {
		t.Fatalf("prometheus: --config.file %s is not a mounted repository file", file)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readFile(t, rel), &cfg); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	for _, rf := range cfg.RuleFiles {
		if !exists(path.Join(path.Dir(rel), rf)) {
			t.Errorf("%s: rule file %s does not exist", rel, rf)
		}
	}
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			if sc.JobName == "sluice" {
				targets = append(targets, st.Targets...)
			}
		}
	}
	var want []string
	for svc, port := range admin {
		want = append(want, svc+":"+port)
	}
	slices.Sort(targets)
	slices.Sort(want)
	if !slices.Equal(targets, want) {
		t.Errorf("%s: job sluice scrapes %v, but the sluice services answer on %v", rel, targets, want)
	}
}

// TestComposeGrafana checks that Grafana's provisioning is mounted where
// Grafana reads it, that its datasource is the compose Prometheus, and that
// the dashboard provider's path shows deploy/grafana/dashboards.
func TestComposeGrafana(t *testing.T) {
	p := loadCompose(t)
	g := p.Services["grafana"]
	for _, dir := range []string{"datasources", "dashboards"} {
		if rel := hostPath(t, g, "/etc/grafana/provisioning/"+dir); rel == "" || !exists(rel) {
			t.Errorf("grafana: /etc/grafana/provisioning/%s is not a mounted repository directory", dir)
		}
	}
	if rel := hostPath(t, g, "/etc/grafana/provisioning/datasources/prometheus.yml"); rel != datasourceFile {
		t.Errorf("grafana: the datasource provisioning mounted is %q, want %s", rel, datasourceFile)
	}
	var ds grafanaDatasources
	decodeStrict(t, datasourceFile, &ds)
	for _, d := range ds.Datasources {
		u, err := url.Parse(d.URL)
		if err != nil {
			t.Errorf("%s: url %q: %v", datasourceFile, d.URL, err)
			continue
		}
		prom, ok := p.Services[u.Hostname()]
		if !ok || !slices.ContainsFunc(prom.Ports, func(pc types.ServicePortConfig) bool { return strconv.Itoa(int(pc.Target)) == u.Port() }) {
			t.Errorf("%s: url %s is not a port of a compose service", datasourceFile, d.URL)
		}
	}
	var prov grafanaProviders
	decodeStrict(t, hostPath(t, g, "/etc/grafana/provisioning/dashboards/sluice.yml"), &prov)
	if len(prov.Providers) == 0 {
		t.Fatal("grafana: no dashboard provider")
	}
	for _, pr := range prov.Providers {
		dir := hostPath(t, g, pr.Options.Path)
		if pr.Type != "file" || dir == "" || !exists(path.Join(dir, path.Base(dashboardFile))) {
			t.Errorf("grafana: provider %s reads %s, which shows no %s", pr.Name, pr.Options.Path, dashboardFile)
		}
	}
	if home := env(g)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != "" && hostPath(t, g, home) != dashboardFile {
		t.Errorf("grafana: GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH %s is not %s", home, dashboardFile)
	}
}
