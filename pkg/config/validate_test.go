package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateErrors(t *testing.T) {
	repl := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
	for _, tc := range []struct {
		name string
		src  string
		want []string // "LINE PATH: |message fragment"
	}{
		{"missing name and connectors", "kafka: {}\n",
			[]string{`1 name: |required; set the pipeline name`, `1 connectors: |required; set a list of connectors`}},
		{"empty name and connectors", "name:\nconnectors: []\n",
			[]string{`1 name: |is empty`, `2 connectors: |is empty`}},
		{"invalid name", "name: shop.eu\nconnectors:\n" + srcConn,
			[]string{`1 name: |"shop.eu" is not a valid name; use only letters, digits, _ and -`}},
		{"long name", "name: " + strings.Repeat("n", 65) + "\nconnectors:\n" + srcConn,
			[]string{`1 name: |is 65 characters long; use at most 64`}},
		{"connector required keys", head + "  - name: x\n",
			[]string{`3 connectors[0].type: |required`, `3 connectors[0].dsn: |required`}},
		{"source required keys", head + "  - name: x\n    type: mysql-source\n    dsn: \"u@tcp(h:1)/\"\n",
			[]string{`3 connectors[0].server_id: |required; set a number from 1 to 4294967295`,
				`3 connectors[0].tables: |required`}},
		{"sink required keys", head + srcConn + "  - name: y\n    type: mysql-sink\n    dsn: \"u@tcp(h:1)/\"\n",
			[]string{`8 connectors[1].source: |required; set the name of the mysql-source connector to replicate (known: src)`}},
		{"unknown type", head + repl(srcConn, "type: mysql-source", "type: mysql-sorce"),
			[]string{`4 connectors[0].type: |unknown connector type "mysql-sorce"; use mysql-source or mysql-sink (did you mean "mysql-source"?)`}},
		{"duplicate connector names", head + srcConn + repl(sinkConn, "name: dst", "name: src"),
			[]string{`8 connectors[1].name: |"src" is also the name of connectors[0] (line 3)`}},
		{"source names nothing", head + srcConn + repl(sinkConn, "source: src", "source: sr"),
			[]string{`10 connectors[1].source: |"sr" names no mysql-source connector (known: src); did you mean "src"?`}},
		{"two sinks of one source are fine", head + srcConn + sinkConn + repl(sinkConn, "name: dst\n", "name: dst2\n"), nil},
		{"source names a sink", head + srcConn + sinkConn + repl(repl(sinkConn, "name: dst\n", "name: dst2\n"), "source: src", "source: dst"),
			[]string{`14 connectors[2].source: |"dst" is a mysql-sink connector, not a mysql-source`}},
		{"no sources at all", head + sinkConn,
			[]string{`5 connectors[0].source: |names no mysql-source connector (this file has none yet: add one)`}},
		{"bad brokers", "kafka:\n  brokers: [\"k1\", \":9092\", \"k2:0\", \"k3:9092\", \"k3:9092\"]\n" + head + srcConn,
			[]string{`2 kafka.brokers[0]: |"k1" is not host:port`, `2 kafka.brokers[1]: |has no host`,
				`2 kafka.brokers[2]: |has port "0"`, `2 kafka.brokers[4]: |"k3:9092" is listed twice (also kafka.brokers[3])`}},
		{"bad listens", "admin:\n  listen: localhost\nkafka:\n  embedded:\n    listen: \"h:99999\"\n" + head + srcConn,
			[]string{`2 admin.listen: |"localhost" is not host:port; write host:port to listen on`,
				`5 kafka.embedded.listen: |has port "99999"`}},
		{"replication on embedded", "kafka:\n  replication_factor: 3\n" + head + srcConn,
			[]string{`2 kafka.replication_factor: |is 3, but with no kafka.brokers sluice runs one embedded broker`}},
		{"empty data_dir", "kafka:\n  embedded:\n    data_dir: \"\"\n" + head + srcConn,
			[]string{`3 kafka.embedded.data_dir: |is empty; set a directory`}},
		{"enums", head + srcConn + "    snapshot: Never\n    flavor: MariaDB\n",
			[]string{`8 connectors[0].snapshot: |"Never" is not allowed; use initial, when_needed or never (did you mean "never"?)`,
				`9 connectors[0].flavor: |"MariaDB" is not allowed; use auto, mysql or mariadb (did you mean "mariadb"?)`}},
		{"table patterns", head + repl(srcConn, `tables: ["shop.*"]`,
			"tables:\n      - shop\n      - a.b.c\n      - .t\n      - \"db.[x\"\n      - \"*.*\""),
			[]string{`8 connectors[0].tables[0]: |"shop" has no dot`, `9 connectors[0].tables[1]: |more than one dot`,
				`10 connectors[0].tables[2]: |empty database or table part`, `11 connectors[0].tables[3]: |is not a valid pattern`}},
		{"empty tables", head + repl(srcConn, `tables: ["shop.*"]`, `tables: []`),
			[]string{`7 connectors[0].tables: |is empty`}},
		{"invalid DSN is masked", head + repl(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:hunter2@tcp(h:3306"`),
			[]string{`5 connectors[0].dsn: |invalid DSN "u:***@tcp(h:3306": missing the slash`}},
		{"source over a socket", head + repl(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:p@unix(/run/mysqld.sock)/"`),
			[]string{`5 connectors[0].dsn: |DSN "u:***@unix(/run/mysqld.sock)/" does not connect over tcp(host:port)`}},
		{"checkpoint_db", head + srcConn + sinkConn + "    checkpoint_db: a.b\n",
			[]string{`12 connectors[1].checkpoint_db: |"a.b" is not a usable database name`}},
		{"empty checkpoint_db", head + srcConn + sinkConn + "    checkpoint_db: \"\"\n",
			[]string{`12 connectors[1].checkpoint_db: |is empty`}},
		{"same server_id on the same server", head + srcConn + repl(srcConn, "name: src", "name: src2"),
			[]string{`11 connectors[1].server_id: |1 is also the server_id of connectors[0] (src), which reads the same MySQL server`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				if _, err := parse([]byte(tc.src), "t.yaml", env()); err != nil {
					t.Fatalf("valid file rejected: %v", err)
				}
				return
			}
			checkErrs(t, parseErrs(t, tc.src, env()), tc.want)
		})
	}
}

// TestManyErrorsAtOnce checks that problems of every stage are reported
// together, in line order, each on its own line.
func TestManyErrorsAtOnce(t *testing.T) {
	src := `name: shop/eu
kafka:
  brokers: "k:9092"
  partitions: three
admin:
  listn: 127.0.0.1:9187
connectors:
  - name: shop-binlog
    type: mysql-source
    dsn: "repl:${SOURCE_PASSWORD}@tcp(127.0.0.1:3306)/"
    server_id: 4242
    tables: ["shop"]
    snapshot: initial
    snapshot: never
  - name: replica-1
    type: mysql-sink
    source: shop-bin
    dsn: "root@tcp(127.0.0.1:3307)/"
    tables: ["shop.*"]
`
	errs := parseErrs(t, src, env())
	checkErrs(t, errs, []string{
		`1 name: |not a valid name`,
		`3 kafka.brokers: |expected a list`,
		`4 kafka.partitions: |expected a whole number`,
		`6 admin.listn: |did you mean "listen"?`,
		`10 connectors[0].dsn: |environment variable SOURCE_PASSWORD is not set`,
		`12 connectors[0].tables[0]: |has no dot`,
		`14 connectors[0].snapshot: |duplicate key (first set at line 13)`,
		`17 connectors[1].source: |"shop-bin" names no mysql-source connector (known: shop-binlog)`,
		`19 connectors[1].tables: |only valid for type mysql-source`,
	})
	if n := strings.Count(errs.Error(), "\n"); n != len(errs)-1 {
		t.Errorf("Error() has %d newlines for %d errors", n, len(errs))
	}
	var wrapped error = errs
	var got Errors
	if !errors.As(wrapped, &got) || len(got) != len(errs) {
		t.Error("errors.As does not find Errors")
	}
}

// TestValidateBuiltInCode checks Validate on a Config that was not loaded:
// zero values count as unset, and keys of the other type are reported.
func TestValidateBuiltInCode(t *testing.T) {
	c := &Config{
		Name: "p",
		Connectors: []Connector{
			{Name: "s", Type: TypeMySQLSource, DSN: "u@tcp(h:1)/", ServerID: 9, Tables: []string{"a.*"}, BatchRows: 7},
			{Name: "k", Type: TypeMySQLSink, DSN: "u@tcp(h:2)/", Source: "s", Flavor: "mysql"},
		},
	}
	c.ApplyDefaults()
	err := c.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate = %v, want Errors", err)
	}
	want := "connectors[0].batch_rows: only valid for type mysql-sink, and this connector is a mysql-source; remove it\n" +
		"connectors[1].flavor: only valid for type mysql-source, and this connector is a mysql-sink; remove it"
	if errs.Error() != want {
		t.Errorf("Validate:\n%v\nwant\n%s", errs, want)
	}
	c.Connectors[0].BatchRows, c.Connectors[1].Flavor = 0, ""
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after fixing: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct {
		word string
		want string
	}{
		{"sever_id", `"server_id"`}, {"tabels", `"tables"`}, {"xyz", ""}, {"", ""}, {"snapshot_size", `"snapshot"`},
	} {
		if got := suggest(tc.word, []string{"server_id", "tables", "snapshot", "snapshot_chunk_size"}); got != tc.want {
			t.Errorf("suggest(%q) = %s, want %s", tc.word, got, tc.want)
		}
	}
}
