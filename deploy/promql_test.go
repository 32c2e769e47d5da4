package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// PromQL pieces that name no metric: string literals, label matchers,
// range and subquery durations, and the label lists of grouping and
// vector-matching modifiers.
var (
	promStringRe   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchersRe = regexp.MustCompile(`\{[^{}]*\}`)
	promRangeRe    = regexp.MustCompile(`\[[^\]]*\]`)
	promLabelsRe   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promTokenRe    = regexp.MustCompile(`\$\w+|[0-9][0-9A-Za-z_.]*|[A-Za-z_:][A-Za-z0-9_:]*\s*\(?`)
)

// promFunctions are the PromQL functions and aggregations the deployment
// files may call; another name followed by "(" is a typo.
var promFunctions = strings.Fields(`abs absent absent_over_time avg avg_over_time bottomk ceil changes
	clamp clamp_max clamp_min count count_over_time count_values day_of_month day_of_week delta deriv
	exp floor group histogram_quantile idelta increase irate label_join label_replace last_over_time
	ln log10 log2 max max_over_time min min_over_time predict_linear present_over_time quantile
	quantile_over_time rate resets round scalar sgn sort sort_desc sqrt stddev stdvar sum
	sum_over_time time timestamp topk vector`)

// promAggregations may stand apart from their "(": sum by (a) (x).
var promAggregations = strings.Fields(`avg bottomk count count_values group max min quantile stddev stdvar sum topk`)

// promKeywords are operators and modifiers spelled as words.
var promKeywords = strings.Fields(`and or unless bool offset by without on ignoring group_left group_right inf nan`)

// queryMetrics returns the metric names a PromQL expression selects. It is
// no full parser, but enough for the deployment files: it fails on a call
// of an unknown function, so a misspelt function is not taken for a metric.
// Grafana's $variables are ignored.
func queryMetrics(expr string) ([]string, error) {
	s := promStringRe.ReplaceAllString(expr, `""`)
	for prev := ""; prev != s; {
		prev = s
		s = promMatchersRe.ReplaceAllString(s, " ")
	}
	s = promRangeRe.ReplaceAllString(s, " ")
	s = promLabelsRe.ReplaceAllString(s, " $1 ")
	var names []string
	for _, tok := range promTokenRe.FindAllString(s, -1) {
		switch word := strings.TrimRight(tok, " \t\n("); {
		case strings.HasPrefix(tok, "$") || tok[0] >= '0' && tok[0] <= '9':
		case strings.HasSuffix(tok, "(") && !slices.Contains(promKeywords, word):
			if !slices.Contains(promFunctions, word) {
				return nil, fmt.Errorf("unknown function %s()", word)
			}
		case slices.Contains(promKeywords, strings.ToLower(word)) || slices.Contains(promAggregations, word):
		default:
			if !slices.Contains(names, word) {
				names = append(names, word)
			}
		}
	}
	return names, nil
}

// baseName strips the series suffixes of a histogram.
func baseName(name string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suffix); ok {
			return b
		}
	}
	return name
}

func TestQueryMetrics(t *testing.T) {
	for _, tc := range []struct {
		expr, want string // want: names joined by spaces, or "error"
	}{
		{`up{job="sluice"} == 0`, "up"},
		{`sum by (pipeline, connector) (rate(sluice_sink_rows_applied_total{pipeline=~"$pipeline", op="c"}[$__rate_interval]))`, "sluice_sink_rows_applied_total"},
		{`histogram_quantile(0.99, sum by (le) (rate(sluice_kafka_produce_seconds_bucket[5m])))`, "sluice_kafka_produce_seconds_bucket"},
		{`a > on (job, instance) 0.5 * b and on (job) b > 0`, "a b"},
		{`x unless on (p) group_left (q) y offset 5m`, "x y"},
		{`time() - sluice_verify_last_run_timestamp_seconds{connector=~"$connector"}`, "sluice_verify_last_run_timestamp_seconds"},
		{`max_over_time(m[1h:5m]) / 1e3`, "m"},
		{`label_replace(m, "dst", "$1", "src", "(.*)")`, "m"},
		{`rat(m[5m])`, "error"},
	} {
		names, err := queryMetrics(tc.expr)
		got := strings.Join(names, " ")
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("queryMetrics(%q) = %q (%v), want %q", tc.expr, got, err, tc.want)
		}
	}
}
