package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

// HTTPGet returns the body of url, whatever its status.
func HTTPGet(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// MetricValue sums every series of a metric in a Prometheus text body.
func MetricValue(body, name string) float64 {
	re := regexp.MustCompile(`(?m)^` + name + `(?:\{[^}]*\})? ([0-9.e+-]+)$`)
	var sum float64
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	return sum
}

// MetricValues returns the metrics of the admin server at admin by name,
// labels dropped (for a process of one connector: one series each), and
// none when it does not answer.
func MetricValues(admin string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		sp := strings.LastIndexByte(l, ' ')
		if sp < 0 {
			continue
		}
		name, _, _ := strings.Cut(l[:sp], "{")
		if v, err := strconv.ParseFloat(l[sp+1:], 64); err == nil {
			out[name] = v
		}
	}
	return out
}

// GaugeOf returns the value (0 or 1) of the gauge metric of connector at
// admin, or -1 when the process does not answer.
func GaugeOf(admin, metric, connector string) int {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, metric+"{") && strings.Contains(l, `connector="`+connector+`"`) {
			if strings.HasSuffix(l, " 1") {
				return 1
			}
			return 0
		}
	}
	return -1
}

// Statuses returns the connectors' statuses from /status of the process
// at admin.
func Statuses(admin string) ([]connector.Status, error) {
	resp, err := http.Get("http://" + admin + "/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st struct{ Connectors []connector.Status }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, err
	}
	return st.Connectors, nil
}

// ConnectorState returns the state /status of the process at admin gives
// connector, "" when it does not answer.
func ConnectorState(admin, name string) string {
	sts, _ := Statuses(admin)
	for _, c := range sts {
		if c.Name == name {
			return c.State
		}
	}
	return ""
}
