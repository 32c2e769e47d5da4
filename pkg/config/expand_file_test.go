package config_test

import (
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

// setenv sets the given NAME=value pairs for the test.
func setenv(t *testing.T, pairs ...string) {
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		t.Setenv(k, v)
	}
}

// TestExpandInFile covers expansion through the decoder: into strings, lists,
// numbers and booleans, and the errors that name the key and line.
func TestExpandInFile(t *testing.T) {
	src := `name: ${PIPELINE}
kafka:
  brokers: ["${BROKER}"]
  partitions: ${PARTS}
  embedded:
    sync_writes: ${SYNC}
connectors:
  - name: src
    type: fake-source
    dsn: "u:${PW}@tcp(h:3306)/"
    id: "${ID}"
    tables: ["${DB}.*", "lit.$${X}"]
`
	setenv(t, "PIPELINE=shop", "BROKER=k:9092", "PARTS=7", "SYNC=false", "PW=a:b@c/d", "ID=42", "DB=shop")
	c := configtest.Parse(t, src, fakeKinds)
	cn, f := c.Connectors[0], spec[*fakeSource](c, "src")
	if c.Name != "shop" || c.Kafka.Brokers[0] != "k:9092" || c.Kafka.Partitions != 7 || *c.Kafka.Embedded.SyncWrites ||
		cn.DSN != "u:a:b@c/d@tcp(h:3306)/" || f.ID != 42 || f.Tables[0] != "shop.*" || f.Tables[1] != "lit.${X}" {
		t.Errorf("expanded config = %+v %+v", c, f)
	}

	setenv(t, "PARTS=many", "SYNC=yes")
	configtest.Unsetenv(t, "PW", "ID")
	errs := configtest.ParseErrs(t, src, fakeKinds)
	configtest.CheckErrs(t, errs, []string{
		`4 kafka.partitions: |expected a whole number, got "${PARTS}" (after ${} expansion)`,
		`6 kafka.embedded.sync_writes: |expected true or false, got "${SYNC}" (after ${} expansion)`,
		`10 connectors[0].dsn: |environment variable PW is not set`,
		`11 connectors[0].id: |environment variable ID is not set`,
	})
}

// TestExpandCannotInjectStructure checks that a variable's value stays one
// scalar, whatever YAML it contains.
func TestExpandCannotInjectStructure(t *testing.T) {
	src := head + strings.Replace(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:${PW}@tcp(h:3306)/"`, 1)
	pw := "x\"\n    id: 99\n    tables: [\"evil.*\"]\n#"
	t.Setenv("PW", pw)
	c := configtest.Parse(t, src, fakeKinds)
	cn, f := c.Connectors[0], spec[*fakeSource](c, "src")
	if f.ID != 1 || len(f.Tables) != 1 || f.Tables[0] != "shop.*" || cn.DSN != "u:"+pw+"@tcp(h:3306)/" {
		t.Errorf("the variable changed the structure: %+v", f)
	}
}

// TestParseUsesEnvironment checks that Parse reads the process environment.
func TestParseUsesEnvironment(t *testing.T) {
	t.Setenv("SLUICE_TEST_NAME", "fromenv")
	c, err := config.Parse([]byte("name: ${SLUICE_TEST_NAME}\nconnectors:\n"+srcConn), "t.yaml", fakeKinds)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "fromenv" {
		t.Errorf("Name = %q, want fromenv", c.Name)
	}
}
