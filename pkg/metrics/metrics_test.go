package metrics

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var (
	fqNameRe = regexp.MustCompile(`fqName: "([^"]+)"`)
	labelsRe = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// metricFields returns every metric field of m by field name; the Registry,
// itself a Collector of everything on it, is left out.
func metricFields(t *testing.T, m *Metrics) map[string]prometheus.Collector {
	t.Helper()
	v := reflect.ValueOf(m).Elem()
	out := map[string]prometheus.Collector{}
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if _, isRegistry := c.(*prometheus.Registry); !ok || isRegistry {
			continue
		}
		if v.Field(i).IsNil() {
			t.Fatalf("Metrics.%s is nil after New", v.Type().Field(i).Name)
		}
		out[v.Type().Field(i).Name] = c
	}
	if len(out) < 20 {
		t.Fatalf("found only %d metrics in Metrics; is the reflection walk broken?", len(out))
	}
	return out
}

// descs returns c's descriptors, rendered with Desc.String.
func descs(c prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	var out []string
	for d := range ch {
		out = append(out, d.String())
	}
	return out
}

// TestEveryMetricRegistered checks that each field of Metrics is registered
// on Metrics.Registry (by registering it again, never the registry on
// itself) and that counters are named *_total.
func TestEveryMetricRegistered(t *testing.T) {
	m := New()
	for field, c := range metricFields(t, m) {
		var are prometheus.AlreadyRegisteredError
		if err := m.Registry.Register(c); !errors.As(err, &are) {
			t.Errorf("Metrics.%s is not registered on Metrics.Registry (Register returned %v)", field, err)
		}
		if _, ok := c.(*prometheus.CounterVec); !ok {
			continue
		}
		for _, d := range descs(c) {
			if name := fqNameRe.FindStringSubmatch(d)[1]; !strings.HasSuffix(name, "_total") {
				t.Errorf("Metrics.%s: counter %s must be named *_total", field, name)
			}
		}
	}
}

// populated returns metrics in which every vector has one series, so that
// the exposition shows each metric's name, type and help.
func populated(t *testing.T) *Metrics {
	t.Helper()
	m := New()
	for field, c := range metricFields(t, m) {
		for _, d := range descs(c) {
			var values []string
			if l := labelsRe.FindStringSubmatch(d); l != nil && l[1] != "" {
				values = strings.Split(l[1], ",")
			}
			switch v := c.(type) {
			case *prometheus.CounterVec:
				v.WithLabelValues(values...).Inc()
			case *prometheus.GaugeVec:
				v.WithLabelValues(values...).Set(1)
			case *prometheus.HistogramVec:
				v.WithLabelValues(values...).Observe(1)
			default:
				t.Fatalf("Metrics.%s: %T; teach populated how to give it a series", field, c)
			}
		}
	}
	return m
}

// exposition returns what /metrics serves for reg, in the text format.
func exposition(t *testing.T, reg *prometheus.Registry) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
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

// TestPromtoolCheckMetrics lints every sluice metric with Prometheus's own
// rules (names, units, _total on counters, help text).
func TestPromtoolCheckMetrics(t *testing.T) {
	bin := promtool(t)
	text := exposition(t, populated(t).Registry)
	for _, name := range []string{"sluice_connector_up", "sluice_sink_consumer_lag_messages", "sluice_verify_rows_different"} {
		if !bytes.Contains(text, []byte("\n"+name+"{")) {
			t.Fatalf("exposition has no series of %s:\n%s", name, text)
		}
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
