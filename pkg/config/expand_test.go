package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	lookup := env("A=alpha", "EMPTY=", "P=p@ss/w:rd", "DOLLAR=$x")
	for _, tc := range []struct {
		in, want string
		used     bool
		err      string // fragment of the error, "" for none
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha", used: true},
		{in: "x${A}y${A}", want: "xalphayalpha", used: true},
		{in: "${EMPTY}", want: "", used: true},
		{in: "u:${P}@tcp(h)/", want: "u:p@ss/w:rd@tcp(h)/", used: true},
		{in: "${DOLLAR}", want: "$x", used: true}, // values are not expanded again
		{in: "$${A}", want: "${A}"},
		{in: "$${A}${A}", want: "${A}alpha", used: true},
		{in: "pa$$word$A", want: "pa$$word$A"},
		{in: "$", want: "$"},
		{in: "${MISSING}", err: "environment variable MISSING is not set; export it"},
		{in: "${M1}${A}${M2}${M1}", err: "environment variables M1, M2 are not set"},
		{in: "${A", err: `"${" without a closing "}"`},
		{in: "${}", err: `"${}" is not a variable reference`},
		{in: "${A:-x}", err: `defaults such as ${X:-y} are not supported`},
		{in: "${1A}", err: "is not a variable reference"},
	} {
		got, used, err := expand(tc.in, lookup)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expand(%q) error = %v, want one containing %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("expand(%q): %v", tc.in, err)
		case got != tc.want || used != tc.used:
			t.Errorf("expand(%q) = %q, %v; want %q, %v", tc.in, got, used, tc.want, tc.used)
		}
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
    type: mysql-source
    dsn: "u:${PW}@tcp(h:3306)/"
    server_id: "${ID}"
    tables: ["${DB}.*", "lit.$${X}"]
`
	c, err := parse([]byte(src), "t.yaml", env("PIPELINE=shop", "BROKER=k:9092", "PARTS=7", "SYNC=false",
		"PW=a:b@c/d", "ID=42", "DB=shop"))
	if err != nil {
		t.Fatal(err)
	}
	cn := c.Connectors[0]
	if c.Name != "shop" || c.Kafka.Brokers[0] != "k:9092" || c.Kafka.Partitions != 7 || *c.Kafka.Embedded.SyncWrites ||
		cn.DSN != "u:a:b@c/d@tcp(h:3306)/" || cn.ServerID != 42 || cn.Tables[0] != "shop.*" || cn.Tables[1] != "lit.${X}" {
		t.Errorf("expanded config = %+v %+v", c, cn)
	}

	errs := parseErrs(t, src, env("PIPELINE=shop", "BROKER=k:9092", "PARTS=many", "SYNC=yes", "DB=shop"))
	checkErrs(t, errs, []string{
		`4 kafka.partitions: |expected a whole number, got "${PARTS}" (after ${} expansion)`,
		`6 kafka.embedded.sync_writes: |expected true or false, got "${SYNC}" (after ${} expansion)`,
		`10 connectors[0].dsn: |environment variable PW is not set`,
		`11 connectors[0].server_id: |environment variable ID is not set`,
	})
}

// TestExpandCannotInjectStructure checks that a variable's value stays one
// scalar, whatever YAML it contains.
func TestExpandCannotInjectStructure(t *testing.T) {
	src := head + strings.Replace(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:${PW}@tcp(h:3306)/"`, 1)
	pw := "x\"\n    server_id: 99\n    tables: [\"evil.*\"]\n#"
	c, err := parse([]byte(src), "t.yaml", env("PW="+pw))
	if err != nil {
		t.Fatal(err)
	}
	cn := c.Connectors[0]
	if cn.ServerID != 1 || len(cn.Tables) != 1 || cn.Tables[0] != "shop.*" || cn.DSN != "u:"+pw+"@tcp(h:3306)/" {
		t.Errorf("the variable changed the structure: %+v", cn)
	}
}

// TestExpandedSecretsStayHidden checks that an expanded value is never quoted
// back in a message, wherever it lands.
func TestExpandedSecretsStayHidden(t *testing.T) {
	const secret = "Sup3rS3cret"
	src := `name: ${S}
connectors:
  - name: ${S}
    type: ${S}
    dsn: "u:${S}@tcp(h:3306"
  - name: src
    type: mysql-source
    dsn: "u:${S}@unix(/sock)/"
    server_id: ${S}
    tables: ["${S}"]
    snapshot: ${S}
`
	errs := parseErrs(t, src, env("S="+secret))
	if len(errs) != 6 { // all but the names, which are valid
		t.Errorf("expected a problem with every key, got:\n%v", errs)
	}
	if strings.Contains(errs.Error(), secret[:4]) {
		t.Errorf("a message quotes the secret:\n%v", errs)
	}
}

// TestParseUsesEnvironment checks that Parse reads the process environment.
func TestParseUsesEnvironment(t *testing.T) {
	t.Setenv("SLUICE_TEST_NAME", "fromenv")
	c, err := Parse([]byte("name: ${SLUICE_TEST_NAME}\nconnectors:\n"+srcConn), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "fromenv" {
		t.Errorf("Name = %q, want fromenv", c.Name)
	}
}
