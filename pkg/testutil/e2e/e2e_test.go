package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestConfigsValid: the configs the harness writes are valid sluice
// configs, so an end-to-end test fails on what it tests, not on its setup.
func TestConfigsValid(t *testing.T) {
	src, dst, dst2 := &mariadbtest.Server{Port: 3306}, &mariadbtest.Server{Port: 3307}, &mariadbtest.Server{Port: 3308}
	for _, split := range []bool{false, true} {
		path, admin := WriteConfig(t, t.TempDir(), src, dst, split, dst2)
		c, err := config.Load(path, connectors.Builtin.Kinds())
		if err != nil {
			t.Fatalf("WriteConfig (split %v): %v", split, err)
		}
		var names []string
		for _, x := range c.Connectors {
			names = append(names, x.Name)
		}
		if want := []string{"src", "replica-1", "replica-2"}; !slices.Equal(names, want) || c.Admin.Listen != admin {
			t.Errorf("WriteConfig (split %v): connectors %v, admin %s; want %v, %s", split, names, c.Admin.Listen, want, admin)
		}
		if split != (len(c.Kafka.Brokers) == 1) {
			t.Errorf("WriteConfig (split %v): kafka.brokers %v", split, c.Kafka.Brokers)
		}
	}
	for _, extra := range []string{"", "    retry: {max_attempts: 3, max_backoff: 1s}\n    batch_rows: 1\n",
		"    errors: {tolerance: all, dead_letter_topic: test.dlq}\n"} {
		p := pipeline{dir: t.TempDir(), broker: "127.0.0.1:9092", admin: "127.0.0.1:9090", split: true,
			src: src.Addr(), sinkDSN: "sink@tcp(" + dst.Addr() + ")/", sinkExtra: extra}
		if _, err := config.Parse([]byte(p.yaml()), "fault.yaml", connectors.Builtin.Kinds()); err != nil {
			t.Errorf("FaultEnv config with sink lines %q: %v", extra, err)
		}
	}
}

func TestMetricValue(t *testing.T) {
	body := `# HELP x_total things
# TYPE x_total counter
x_total{table="a"} 2
x_total{table="b"} 3.5
x_total_other 7
y 1e+06
`
	for _, c := range []struct {
		name string
		want float64
	}{{"x_total", 5.5}, {"x_total_other", 7}, {"y", 1e6}, {"z", 0}} {
		if got := MetricValue(body, c.name); got != c.want {
			t.Errorf("MetricValue(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestLogInts(t *testing.T) {
	log := `level=INFO msg="snapshot done" table=shop.a rows=10 rows_per_s=5
level=INFO msg="snapshot done" table=shop.b rows=20
level=INFO msg="other" rows=30`
	for _, c := range []struct {
		key   string
		words []string
		want  []int
	}{
		{"rows", []string{"snapshot done"}, []int{10, 20}},
		{"rows", nil, []int{10, 20, 30}},
		{"rows_per_s", nil, []int{5}},
		{"rows", []string{"snapshot done", "table=shop.b"}, []int{20}},
		{"rows", []string{"missing"}, nil},
	} {
		if got := LogInts(log, c.key, c.words...); !slices.Equal(got, c.want) {
			t.Errorf("LogInts(%s, %q) = %v, want %v", c.key, c.words, got, c.want)
		}
	}
}

func TestTail(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{{"a\nb\nc", 2, "b\nc"}, {"a\nb", 5, "a\nb"}, {"", 3, ""}, {"a\nb\n", 1, ""}} {
		if got := Tail(c.s, c.n); got != c.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

// ExampleWriteConfig shows the shape of a harness test; it has no output
// to check, so go test compiles it without running it.
func ExampleWriteConfig() {
	var t testing.TB // the test's
	src := mariadbtest.Start(t, mariadbtest.Options{})
	dst := mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb := src.DB(t), dst.DB(t)
	ExecAll(t, sdb, ShopSchema)
	Seed(t, sdb, 1, 100)
	cfg, admin := WriteConfig(t, t.TempDir(), src, dst, false)
	p := StartProc(t, "sluice.log", "run", "--config", cfg)
	WaitHTTP(t, "http://"+admin+"/readyz", time.Minute)
	WaitEqual(t, sdb, ddb, time.Minute, []*Proc{p}, ShopTables...)
	fmt.Println("replica equal")
}
