package deploy

import (
	"bytes"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var (
	metricRe   = regexp.MustCompile(`\bsluice_[A-Za-z0-9_]+`)
	deployRe   = regexp.MustCompile(`\bdeploy/[A-Za-z0-9_./-]*[A-Za-z0-9_]`)
	durationRe = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
)

// TestDeployMetricNames fails on any sluice_ name in the Prometheus files or
// dashboards under deploy/ that pkg/metrics does not declare.
func TestDeployMetricNames(t *testing.T) {
	declared := declaredSeries(t)
	used := map[string]bool{}
	for _, rel := range deployFiles(t) {
		if !strings.HasPrefix(rel, "deploy/prometheus/") && path.Ext(rel) != ".json" {
			continue
		}
		lines(t, rel, func(n int, line string) {
			for _, name := range metricRe.FindAllString(line, -1) {
				used[name] = true
				if !declared[name] {
					t.Errorf("%s:%d: %s is not declared in pkg/metrics/metrics.go", rel, n, name)
				}
			}
		})
	}
	for _, want := range []string{"sluice_connector_up", "sluice_sink_replication_lag_seconds",
		"sluice_source_lag_seconds", "sluice_errors_total", "sluice_sink_commits_total",
		"sluice_source_transactions_total", "sluice_verify_tables_different",
		"sluice_source_binlog_retention_seconds", "sluice_sink_consumer_lag_messages"} {
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

// requiredAlerts says what each alert operators rely on must test, as
// written in its expr.
var requiredAlerts = map[string][]string{
	"SluiceProcessDown":             {"up{", "== 0"},
	"SluiceConnectorDown":           {"sluice_connector_up == 0"},
	"SluiceErrors":                  {"rate(sluice_errors_total["},
	"SluiceConnectorRestarting":     {"increase(sluice_connector_restarts_total["},
	"SluiceSourceLagHigh":           {"sluice_source_lag_seconds >"},
	"SluiceReplicationLagHigh":      {"sluice_sink_replication_lag_seconds > 30"},
	"SluiceSinkStalled":             {"increase(sluice_sink_commits_total[", "sluice_source_transactions_total", "sluice_sink_consumer_lag_messages"},
	"SluiceConsumerLagGrowing":      {"delta(sluice_sink_consumer_lag_messages["},
	"SluiceSourceStalled":           {"sluice_source_binlog_behind_bytes > 0", "changes(sluice_source_binlog_position["},
	"SluiceBinlogRetentionShort":    {"sluice_source_lag_seconds", "* sluice_source_binlog_retention_seconds", "sluice_source_binlog_retention_seconds > 0"},
	"SluiceBinlogRetentionCritical": {"sluice_source_lag_seconds", "* sluice_source_binlog_retention_seconds", "sluice_source_binlog_retention_seconds > 0"},
	"SluiceVerifyDifferences":       {"sluice_verify_tables_different) > 0", "sluice_verify_rows_different) > 0"},
	"SluiceVerifyFailing":           {`sluice_verify_runs_total{result="error"}`},
	"SluiceTableQuarantined":        {"sluice_table_quarantined) > 0"},
}

// TestAlertRules decodes alerts.yml strictly and checks that every rule is
// complete, selects only declared metrics (and Prometheus's own up), and
// that the alerts operators rely on are there.
func TestAlertRules(t *testing.T) {
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/prometheus/alerts.yml")))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	declared := declaredSeries(t)
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
			names, err := queryMetrics(r.Expr)
			if err != nil || len(names) == 0 {
				t.Errorf("%s: expr %q: %v, metrics %v", where, r.Expr, err, names)
			}
			for _, n := range names {
				if !declared[n] && n != "up" {
					t.Errorf("%s: expr selects %s, which pkg/metrics does not declare", where, n)
				}
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
	for _, name := range sortedKeys(requiredAlerts) {
		expr, ok := exprs[name]
		if !ok {
			t.Errorf("alerts.yml: no alert %s", name)
			continue
		}
		for _, p := range requiredAlerts[name] {
			if !strings.Contains(expr, p) {
				t.Errorf("alerts.yml: %s: expr %q does not contain %q", name, expr, p)
			}
		}
	}
	checkAlertsTested(t, exprs)
}

// checkAlertsTested fails for an alert that alerts_test.yml never expects
// to fire.
func checkAlertsTested(t *testing.T, alerts map[string]string) {
	var f struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(readFile(t, "deploy/prometheus/alerts_test.yml"), &f); err != nil {
		t.Fatalf("alerts_test.yml: %v", err)
	}
	fires := map[string]bool{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			fires[a.Alertname] = fires[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	for _, name := range sortedKeys(alerts) {
		if !fires[name] {
			t.Errorf("alerts_test.yml: no test expects %s to fire", name)
		}
	}
}

// TestPromtool runs Prometheus's own checks and the rule unit tests.
func TestPromtool(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = filepath.Join(repoRoot, "deploy", "prometheus")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDeployPathsExist checks that every deploy/... path named in the
// deployment files and their comments exists.
func TestDeployPathsExist(t *testing.T) {
	for _, rel := range append(deployFiles(t), "docker-compose.yml") {
		lines(t, rel, func(n int, line string) {
			for _, p := range deployRe.FindAllString(line, -1) {
				if !exists(p) {
					t.Errorf("%s:%d: %s does not exist", rel, n, p)
				}
			}
		})
	}
}
