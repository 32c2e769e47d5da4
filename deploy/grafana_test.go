package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The dashboard and Grafana's provisioning files, as docker-compose.yml
// mounts them.
const (
	dashboardFile      = "deploy/grafana/dashboards/sluice.json"
	datasourceFile     = "deploy/grafana/provisioning/datasources/prometheus.yml"
	dashboardsProvFile = "deploy/grafana/provisioning/dashboards/sluice.yml"
)

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name    string          `json:"name"`
			Type    string          `json:"type"`
			Query   json.RawMessage `json:"query"` // a string, or {"query": ...}
			Current struct {
				Value any `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a collapsed row
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(readFile(t, dashboardFile)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels returns the panels of d, those of collapsed rows included.
func allPanels(d dashboard) []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// checkQuery reports what is wrong with one PromQL query of the dashboard.
func checkQuery(expr string, declared map[string]bool) []string {
	names, err := queryMetrics(expr)
	if err != nil {
		return []string{err.Error()}
	}
	if len(names) == 0 {
		return []string{"selects no metric"}
	}
	var problems []string
	for _, n := range names {
		if !declared[n] {
			problems = append(problems, fmt.Sprintf("%s (metric %s) is not exported by pkg/metrics", n, baseName(n)))
		}
	}
	if !strings.Contains(expr, `pipeline=~"$pipeline"`) {
		problems = append(problems, `does not filter by pipeline=~"$pipeline"`)
	}
	return problems
}

// TestDashboard checks that every panel has a query, that every query names
// only metrics pkg/metrics exports (histogram series by their _bucket, _sum
// and _count) and follows the template variables, and that the dashboard
// covers what an operator looks for.
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	declared := declaredSeries(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("%s: no uid or title", dashboardFile)
	}
	ids := map[int]bool{}
	used := map[string]bool{}
	var rows []string
	for _, p := range allPanels(d) {
		where := fmt.Sprintf("%s: panel %d %q", dashboardFile, p.ID, p.Title)
		if ids[p.ID] {
			t.Errorf("%s: id used twice", where)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", where, p.GridPos)
		}
		if p.Type == "row" {
			rows = append(rows, p.Title)
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("%s: datasource must be the ${datasource} variable", where)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", where)
		}
		for _, q := range p.Targets {
			if strings.TrimSpace(q.Expr) == "" {
				t.Errorf("%s: query %s is empty", where, q.RefID)
			}
			for _, problem := range checkQuery(q.Expr, declared) {
				t.Errorf("%s: query %s %q: %s", where, q.RefID, q.Expr, problem)
			}
			for _, n := range metricRe.FindAllString(q.Expr, -1) {
				used[baseName(n)] = true
			}
		}
	}
	for _, want := range []string{"Overview", "Per connector", "Per table", "Verify", "Binlog"} {
		if !slices.Contains(rows, want) {
			t.Errorf("%s: no row %q (rows: %q)", dashboardFile, want, rows)
		}
	}
	for _, want := range []string{"sluice_source_rows_read_total", "sluice_source_rows_published_total",
		"sluice_sink_rows_applied_total", "sluice_sink_replication_lag_seconds",
		"sluice_sink_replication_lag_distribution_seconds", "sluice_sink_consumer_lag_messages",
		"sluice_kafka_produce_seconds", "sluice_kafka_produce_batch_messages", "sluice_sink_batch_rows",
		"sluice_errors_total", "sluice_connector_restarts_total", "sluice_snapshot_rows_total",
		"sluice_snapshot_rows_estimated", "sluice_verify_tables_different", "sluice_verify_rows_different",
		"sluice_source_binlog_file_number", "sluice_source_binlog_position",
		"sluice_source_binlog_behind_bytes", "sluice_source_binlog_retention_seconds"} {
		if !used[want] {
			t.Errorf("%s: no panel shows %s", dashboardFile, want)
		}
	}
	checkVariables(t, d, declared)
}

// labelValuesRe is a Grafana Prometheus variable query.
var labelValuesRe = regexp.MustCompile(`^label_values\((.+), *([A-Za-z_][A-Za-z0-9_]*)\)$`)

// checkVariables checks the template variables: a Prometheus datasource
// defaulting to the provisioned one, and pipeline, connector and table
// taken from labels of exported metrics.
func checkVariables(t *testing.T, d dashboard, declared map[string]bool) {
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		switch v.Type {
		case "datasource":
			if want := provisionedDatasourceUID(t); v.Current.Value != want {
				t.Errorf("%s: variable %s defaults to %v, want the provisioned datasource %q", dashboardFile, v.Name, v.Current.Value, want)
			}
		case "query":
			var q struct {
				Query string `json:"query"`
			}
			if err := json.Unmarshal(v.Query, &q); err != nil {
				_ = json.Unmarshal(v.Query, &q.Query)
			}
			m := labelValuesRe.FindStringSubmatch(q.Query)
			if m == nil || m[2] != v.Name {
				t.Errorf("%s: variable %s: query %q, want label_values(sluice_..., %s)", dashboardFile, v.Name, q.Query, v.Name)
				continue
			}
			names, err := queryMetrics(m[1])
			if err != nil || len(names) != 1 || !declared[names[0]] {
				t.Errorf("%s: variable %s: %q does not select one exported metric (%v %v)", dashboardFile, v.Name, m[1], names, err)
			}
		}
	}
	for _, want := range []string{"datasource", "pipeline", "connector", "table"} {
		if !vars[want] {
			t.Errorf("%s: no template variable %s", dashboardFile, want)
		}
	}
}

type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string         `yaml:"name"`
		UID       string         `yaml:"uid"`
		Type      string         `yaml:"type"`
		Access    string         `yaml:"access"`
		URL       string         `yaml:"url"`
		IsDefault bool           `yaml:"isDefault"`
		Editable  bool           `yaml:"editable"`
		JSONData  map[string]any `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type grafanaProviders struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		Type                  string `yaml:"type"`
		Folder                string `yaml:"folder"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// decodeStrict decodes the YAML file rel into v, rejecting unknown keys.
func decodeStrict(t *testing.T, rel string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, rel)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// provisionedDatasourceUID returns the uid of the one Prometheus datasource
// Grafana is provisioned with.
func provisionedDatasourceUID(t *testing.T) string {
	t.Helper()
	var f grafanaDatasources
	decodeStrict(t, datasourceFile, &f)
	if f.APIVersion != 1 || len(f.Datasources) != 1 || f.Datasources[0].Type != "prometheus" || f.Datasources[0].UID == "" {
		t.Fatalf("%s: want apiVersion 1 and one prometheus datasource with a uid, got %+v", datasourceFile, f)
	}
	return f.Datasources[0].UID
}
