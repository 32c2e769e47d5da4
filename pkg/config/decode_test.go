package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestDecodeErrors(t *testing.T) {
	configtest.Run(t, fakeKinds, []configtest.Case{
		{"unknown top-level key", "nmae: shop\n" + "connectors:\n" + srcConn,
			[]string{`1 nmae: |unknown key; did you mean "name"? (valid keys here: admin, connectors, kafka, name, verify)`,
				`1 name: |required`}},
		{"unknown connector key", head + srcConn + "    tabels: 2\n",
			[]string{`8 connectors[0].tabels: |did you mean "tables"?`}},
		{"unknown key lists the type's keys", head + srcConn + "    bogus: 2\n",
			[]string{`8 connectors[0].bogus: |(valid keys here: dsn, id, name, tables, tls, type)`}},
		{"quoted number", head + strings.Replace(srcConn, "id: 1", `id: "1"`, 1),
			[]string{`6 connectors[0].id: |expected a whole number (without quotes), got the quoted string "1"`}},
		{"string for number", head + strings.Replace(srcConn, "id: 1", `id: one`, 1),
			[]string{`6 connectors[0].id: |expected a whole number, got the string "one"`}},
		{"number out of range", head + strings.Replace(srcConn, "id: 1", "id: 1001", 1),
			[]string{`6 connectors[0].id: |must be between 1 and 1000, got 1001`}},
		{"key of the other type", head + srcConn + "    source: src\n" + sinkConn + "    id: 2\n    tables: [\"a.b\"]\n",
			[]string{`8 connectors[0].source: |only valid for type fake-sink, and this connector is a fake-source; remove it`,
				`13 connectors[1].id: |only valid for type fake-source, and this connector is a fake-sink; remove it`,
				`14 connectors[1].tables: |only valid for type fake-source`}},
		{"unknown embedded key", head + srcConn + "kafka:\n  embedded:\n    dir: x\n",
			[]string{`10 kafka.embedded.dir: |valid keys here: data_dir, listen, sync_writes`}},
		{"duplicate top-level key", head + srcConn + "name: other\n",
			[]string{`8 name: |duplicate key (first set at line 1)`}},
		{"duplicate connector key", head + srcConn + "    tables: [\"x.y\"]\n",
			[]string{`8 connectors[0].tables: |duplicate key (first set at line 7)`}},
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
		{"partitions zero", "kafka: {partitions: 0}\n" + head + srcConn,
			[]string{`1 kafka.partitions: |must be at least 1, got 0`}},
		{"negative replication", "kafka: {replication_factor: -1}\n" + head + srcConn,
			[]string{`1 kafka.replication_factor: |must be between 0 and 32767, got -1`}},
		{"small messages", "kafka: {max_message_bytes: 100}\n" + head + srcConn,
			[]string{`1 kafka.max_message_bytes: |must be at least 1024, got 100`}},
		{"unknown compression", "kafka: {compression: lz5}\n" + head + srcConn,
			[]string{`1 kafka.compression: |"lz5" is not allowed; use none, snappy, lz4, zstd or gzip (did you mean "lz4"?)`}},
		{"bad merge", head + "  - <<: 3\n    name: x\n",
			[]string{`3 connectors[0]: |<< merges a mapping (<<: *anchor) or a list of them, not the number 3`,
				`3 connectors[0].type: |required`, `3 connectors[0].dsn: |required`}},
	})
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
			errs := configtest.ParseErrs(t, tc.src, fakeKinds)
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Errorf("got %v\nwant one error starting %q", errs, tc.want)
			}
		})
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	src := head + srcConn + `  - &sink
    name: eu
    type: fake-sink
    source: src
    dsn: "u@tcp(eu:3306)/"
    batch: 7
  - <<: *sink
    name: us
    dsn: "u@tcp(us:3306)/"
`
	c := configtest.Parse(t, src, fakeKinds)
	us := c.Connector("us")
	if f := spec[*fakeSink](c, "us"); us.Type != "fake-sink" || f.Source != "src" || f.Batch != 7 || us.DSN != "u@tcp(us:3306)/" {
		t.Errorf("merged connector = %+v, %+v", us, f)
	}
	if us.Line != 14 {
		t.Errorf("merged connector Line = %d, want 14", us.Line)
	}
}

// FuzzParse checks that no input makes the decoder panic, and that whatever
// it accepts passes Validate.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head + srcConn + sinkConn))
	f.Add([]byte(head + srcConn + sinkConn + "    verify: {every: 1h}\n    routes: {\"a.b\": \"c.d\"}\n    retry: {max_attempts: 2}\n"))
	f.Add([]byte("a: &x {b: 1}\nc: {<<: [*x, *x]}\n"))
	f.Add([]byte("connectors: [{<<: {name: x}}, 1, [a]]\nkafka: {brokers: [[a]], embedded: 3}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "f.yaml", fakeKinds)
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
	errs := configtest.ParseErrs(t, src, fakeKinds)
	if n := strings.Count(errs.Error(), "<< merges nest more than"); n < 1 || n > 20 {
		t.Errorf("%d merge limit errors, want a few:\n%v", n, errs)
	}
}
