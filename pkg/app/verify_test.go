package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/config"
)

const verifyCfg = `name: shop
connectors:
  - name: src
    type: mysql-source
    dsn: "u@tcp(127.0.0.1:1)/"
    server_id: 1
    tables: ["shop.*"]
  - name: r1
    type: mysql-sink
    source: src
    dsn: "u@tcp(127.0.0.1:1)/"
  - name: r2
    type: mysql-sink
    source: src
    dsn: "u@tcp(127.0.0.1:1)/"
`

func TestVerifySinks(t *testing.T) {
	cfg, err := config.Parse([]byte(verifyCfg), "v.yaml", connectors.Builtin.Kinds())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		names []string
		want  string // names, or an error fragment
	}{
		{nil, "r1 r2"},
		{[]string{"r2"}, "r2"},
		{[]string{"src"}, "src: a mysql-source; verify compares mysql-sink replicas"},
		{[]string{"nope"}, "--connector [nope]: not in v.yaml"},
	} {
		got, err := verifySinks(cfg, tc.names)
		var s string
		if err != nil {
			s = err.Error()
		}
		for _, c := range got {
			s = strings.TrimSpace(s + " " + c.Name)
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("verifySinks(%v) = %q, want %q", tc.names, s, tc.want)
		}
	}
}

// TestVerifyUnreachable: a server that cannot be reached is an error,
// exit 2, naming the sink.
func TestVerifyUnreachable(t *testing.T) {
	cfg, err := config.Parse([]byte(verifyCfg), "v.yaml", connectors.Builtin.Kinds())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = verifyCommand(t.Context(), connectors.Builtin, cfg, &verifyFlags{sinks: []string{"r1"}}, &out, nil)
	ec, ok := err.(*ExitCode)
	if !ok || ec.Code != 2 || !strings.Contains(out.String(), "r1: error: sink r1: source src: connect to 127.0.0.1:1") {
		t.Errorf("err %v, output %q; want exit 2 naming the unreachable source", err, out.String())
	}
}
