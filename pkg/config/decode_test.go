package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// head is a valid start of a file (lines 1-2); connector lists follow it.
const head = "name: shop\nconnectors:\n"

// srcConn is a valid mysql-source connector (lines 3-7 after head).
const srcConn = `  - name: src
    type: mysql-source
    dsn: "u:p@tcp(h:3306)/"
    server_id: 1
    tables: ["shop.*"]
`

// sinkConn is a valid mysql-sink connector (lines 8-11 after head+srcConn).
const sinkConn = `  - name: dst
    type: mysql-sink
    source: src
    dsn: "u@tcp(r:3306)/"
`

// parseErrs parses src and returns its Errors, failing if there are none.
func parseErrs(t *testing.T, src string, lookup func(string) (string, bool)) Errors {
	t.Helper()
	c, err := parse([]byte(src), "t.yaml", lookup)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("parse returned %v (config %+v), want Errors", err, c)
	}
	if c != nil {
		t.Errorf("parse returned a Config along with errors")
	}
	return errs
}

// checkErrs compares errs with want, each "LINE PATH: fragment of the
// message", in order.
func checkErrs(t *testing.T, errs Errors, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i, w := range want {
		e := errs[i]
		if e.File != "t.yaml" {
			t.Errorf("error %d names file %q, want t.yaml", i, e.File)
		}
		prefix := fmt.Sprintf("%d %s: ", e.Line, e.Path)
		if e.Path == "" {
			prefix = fmt.Sprintf("%d ", e.Line)
		}
		wantPrefix, frag, _ := strings.Cut(w, "|")
		if prefix != wantPrefix || !strings.Contains(e.Msg, frag) {
			t.Errorf("error %d = %q\nwant %q and a message containing %q", i, e.Error(), wantPrefix, frag)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string // "LINE PATH: |message fragment"
	}{
		{"unknown top-level key", "nmae: shop\n" + "connectors:\n" + srcConn,
			[]string{`1 nmae: |unknown key; did you mean "name"? (valid keys here: admin, connectors, kafka, name, verify)`,
				`1 name: |required`}},
		{"unknown connector key", head + srcConn + "    sever_id: 2\n",
			[]string{`8 connectors[0].sever_id: |did you mean "server_id"?`}},
		{"unknown key lists the type's keys", head + srcConn + "    bogus: 2\n",
			[]string{`8 connectors[0].bogus: |(valid keys here: dsn, flavor, name, server_id, skip_ddl, snapshot, snapshot_chunk_size, snapshot_parallelism, tables, tls, type, unique_key_tables)`}},
		{"unknown embedded key", head + srcConn + "kafka:\n  embedded:\n    dir: x\n",
			[]string{`10 kafka.embedded.dir: |valid keys here: data_dir, listen, sync_writes`}},
		{"duplicate top-level key", head + srcConn + "name: other\n",
			[]string{`8 name: |duplicate key (first set at line 1)`}},
		{"duplicate connector key", head + srcConn + "    tables: [\"x.y\"]\n",
			[]string{`8 connectors[0].tables: |duplicate key (first set at line 7)`}},
		{"quoted number", head + strings.Replace(srcConn, "server_id: 1", `server_id: "1"`, 1),
			[]string{`6 connectors[0].server_id: |expected a whole number (without quotes), got the quoted string "1"`}},
		{"string for number", head + strings.Replace(srcConn, "server_id: 1", `server_id: one`, 1),
			[]string{`6 connectors[0].server_id: |expected a whole number, got the string "one"`}},
		{"float for number", "kafka:\n  partitions: 1.5\n" + head + srcConn,
			[]string{`2 kafka.partitions: |got the number 1.5`}},
		{"scalar for list", head + strings.Replace(srcConn, `tables: ["shop.*"]`, `tables: shop.*`, 1),
			[]string{`7 connectors[0].tables: |expected a list; write ["shop.*"]`}},
		{"list for string", head + strings.Replace(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: [a, b]`, 1),
			[]string{`5 connectors[0].dsn: |expected a string, got a list`}},
		{"mapping for string", "name: {a: 1}\nconnectors:\n" + srcConn,
			[]string{`1 name: |expected a string, got a mapping`}},
		{"bool for string", "name: true\nconnectors:\n" + srcConn,
			[]string{`1 name: |quote it if you mean the text "true"`}},
		{"string for bool", head + srcConn + sinkConn + "    create_tables: yes\n",
			[]string{`12 connectors[1].create_tables: |expected true or false, got "yes"`}},
		{"list for mapping", "kafka: [a]\n" + head + srcConn,
			[]string{`1 kafka: |expected a mapping of keys (brokers, compression, embedded, max_message_bytes, partitions, replication_factor, sasl, tls), got a list`}},
		{"mapping for connectors", "name: shop\nconnectors:\n  name: x\n",
			[]string{`2 connectors: |expected a list of connectors`}},
		{"scalar connector", head + "  - src\n",
			[]string{`3 connectors[0]: |expected a connector mapping`}},
		{"custom tag", "name: !secret shop\nconnectors:\n" + srcConn,
			[]string{`1 name: |tag !secret is not supported`}},
		{"non-string key", "name: shop\n[a]: 1\nconnectors:\n" + srcConn,
			[]string{`2 |found a list as a key`}},
		{"source key on a source", head + srcConn + "    source: src\n",
			[]string{`8 connectors[0].source: |only valid for type mysql-sink, and this connector is a mysql-source; remove it`}},
		{"source keys on a sink", head + srcConn + sinkConn + "    server_id: 2\n    tables: [\"a.b\"]\n",
			[]string{`12 connectors[1].server_id: |only valid for type mysql-source`,
				`13 connectors[1].tables: |only valid for type mysql-source`}},
		{"server_id out of range", head + strings.Replace(srcConn, "server_id: 1", "server_id: 4294967296", 1),
			[]string{`6 connectors[0].server_id: |must be between 1 and 4294967295, got 4294967296`}},
		{"server_id zero", head + strings.Replace(srcConn, "server_id: 1", "server_id: 0", 1),
			[]string{`6 connectors[0].server_id: |must be between 1 and 4294967295, got 0`}},
		{"partitions zero", "kafka: {partitions: 0}\n" + head + srcConn,
			[]string{`1 kafka.partitions: |must be at least 1, got 0`}},
		{"negative replication", "kafka: {replication_factor: -1}\n" + head + srcConn,
			[]string{`1 kafka.replication_factor: |must be between 0 and 32767, got -1`}},
		{"small messages", "kafka: {max_message_bytes: 100}\n" + head + srcConn,
			[]string{`1 kafka.max_message_bytes: |must be at least 1024, got 100`}},
		{"unknown compression", "kafka: {compression: lz5}\n" + head + srcConn,
			[]string{`1 kafka.compression: |"lz5" is not allowed; use none, snappy, lz4, zstd or gzip (did you mean "lz4"?)`}},
		{"chunk and batch zero", head + srcConn + "    snapshot_chunk_size: 0\n" + sinkConn + "    batch_rows: 0\n",
			[]string{`8 connectors[0].snapshot_chunk_size: |must be at least 1, got 0`,
				`13 connectors[1].batch_rows: |must be at least 1, got 0`}},
		{"batch bytes too small", head + srcConn + sinkConn + "    batch_bytes: 100\n",
			[]string{`12 connectors[1].batch_bytes: |must be at least 1024, got 100`}},
		{"workers out of range", head + srcConn + "    workers: 2\n" + sinkConn + "    workers: 17\n",
			[]string{`8 connectors[0].workers: |only valid for type mysql-sink, and this connector is a mysql-source; remove it`,
				`13 connectors[1].workers: |must be between 1 and 16, got 17`}},
		{"bad merge", head + "  - <<: 3\n    name: x\n",
			[]string{`3 connectors[0]: |<< merges a mapping (<<: *anchor) or a list of them, not the number 3`,
				`3 connectors[0].type: |required`, `3 connectors[0].dsn: |required`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, parseErrs(t, tc.src, env()), tc.want)
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unclosed list", "name: shop\nconnectors: [\n", "t.yaml:2: invalid YAML: did not find expected node content"},
		{"bad indentation", "name: shop\n  kafka: 1\n", "t.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"tab", "name: shop\nconnectors:\n\t- name: x\n", "t.yaml:3: invalid YAML: found character that cannot start any token"},
		{"empty", "", "t.yaml:1: the file is empty"},
		{"only comments", "# nothing\n", "t.yaml:1: the file is empty"},
		{"null document", "~\n", "t.yaml:1: the file is empty"},
		{"two documents", head + srcConn + "---\nname: again\n", "t.yaml:8: a second YAML document"},
		{"list document", "- a\n- b\n", "t.yaml:1: the file must be a mapping with the keys name, kafka, admin and connectors, got a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := parseErrs(t, tc.src, env())
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Errorf("got %v\nwant one error starting %q", errs, tc.want)
			}
		})
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	src := head + srcConn + `  - &sink
    name: eu
    type: mysql-sink
    source: src
    dsn: "u@tcp(eu:3306)/"
    batch_rows: 100
  - <<: *sink
    name: us
    dsn: "u@tcp(us:3306)/"
`
	c, err := parse([]byte(src), "t.yaml", env())
	if err != nil {
		t.Fatal(err)
	}
	us := c.Connector("us")
	if us == nil || us.Type != TypeMySQLSink || us.Source != "src" || us.BatchRows != 100 || us.DSN != "u@tcp(us:3306)/" {
		t.Errorf("merged connector = %+v", us)
	}
	if us.Line != 14 {
		t.Errorf("merged connector Line = %d, want 14", us.Line)
	}
}

// FuzzParse checks that no input makes the decoder panic, and that whatever
// it accepts passes Validate.
func FuzzParse(f *testing.F) {
	f.Add([]byte(exampleYAML))
	f.Add([]byte(head + srcConn + sinkConn))
	f.Add([]byte("a: &x {b: 1}\nc: {<<: [*x, *x]}\n"))
	f.Add([]byte("connectors: [{<<: {name: x}}, 1, [a]]\nkafka: {brokers: [[a]], embedded: 3}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, "f.yaml", env("SOURCE_PASSWORD=pw"))
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that Validate rejects: %v", verr)
			}
		}
	})
}

// TestMergeBomb checks that nested << merges cannot make the decoder do
// exponential work.
func TestMergeBomb(t *testing.T) {
	src := "name: shop\nconnectors:\n  - &a0 {name: x}\n"
	for i := 1; i < 12; i++ {
		src += fmt.Sprintf("  - &a%d {<<: [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]}\n", i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	errs := parseErrs(t, src, env())
	if n := strings.Count(errs.Error(), "<< merges nest more than"); n < 1 || n > 20 {
		t.Errorf("%d merge limit errors, want a few:\n%v", n, errs)
	}
}
