package source_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/conftest"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

const (
	head     = conftest.Head
	srcConn  = conftest.Src
	sinkConn = conftest.Sink
)

// repl replaces old in s once; the test edit must apply.
func repl(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("test edit does not apply: " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestConfigErrors: what is wrong with a mysql-source's keys, each problem
// with its line and key path.
func TestConfigErrors(t *testing.T) {
	configtest.Run(t, conftest.Kinds, []configtest.Case{
		{"unknown connector key", head + srcConn + "    sever_id: 2\n",
			[]string{`8 connectors[0].sever_id: |did you mean "server_id"?`}},
		{"unknown key lists the type's keys", head + srcConn + "    bogus: 2\n",
			[]string{`8 connectors[0].bogus: |(valid keys here: dsn, flavor, name, on_table_error, server_id, skip_ddl, snapshot, snapshot_chunk_size, snapshot_parallelism, tables, tls, type, unique_key_tables)`}},
		{"quoted number", head + repl(srcConn, "server_id: 1", `server_id: "1"`),
			[]string{`6 connectors[0].server_id: |expected a whole number (without quotes), got the quoted string "1"`}},
		{"string for number", head + repl(srcConn, "server_id: 1", `server_id: one`),
			[]string{`6 connectors[0].server_id: |expected a whole number, got the string "one"`}},
		{"source key on a source", head + srcConn + "    source: src\n",
			[]string{`8 connectors[0].source: |only valid for type mysql-sink, and this connector is a mysql-source; remove it`}},
		{"sink keys on a source", head + srcConn + "    routes: {\"a.b\": \"c.d\"}\n    retry: {max_attempts: 3}\n    verify: {every: 1h}\n",
			[]string{`8 connectors[0].routes: |only valid for type mysql-sink`, `9 connectors[0].retry: |only valid for type mysql-sink`,
				`10 connectors[0].verify: |only valid for type mysql-sink`}},
		{"server_id out of range", head + repl(srcConn, "server_id: 1", "server_id: 4294967296"),
			[]string{`6 connectors[0].server_id: |must be between 1 and 4294967295, got 4294967296`}},
		{"server_id zero", head + repl(srcConn, "server_id: 1", "server_id: 0"),
			[]string{`6 connectors[0].server_id: |must be between 1 and 4294967295, got 0`}},
		{"source required keys", head + "  - name: x\n    type: mysql-source\n    dsn: \"u@tcp(h:1)/\"\n",
			[]string{`3 connectors[0].server_id: |required; set a number from 1 to 4294967295`,
				`3 connectors[0].tables: |required`}},
		{"dsn required", head + "  - name: x\n    type: mysql-source\n    server_id: 1\n    tables: [\"a.b\"]\n",
			[]string{`3 connectors[0].dsn: |required; set the MySQL DSN, e.g. "user:${PASSWORD}@tcp(host:3306)/"`}},
		{"unknown type", head + repl(srcConn, "type: mysql-source", "type: mysql-sorce"),
			[]string{`4 connectors[0].type: |unknown connector type "mysql-sorce"; use mysql-source or mysql-sink (did you mean "mysql-source"?)`}},
		{"on_table_error", head + srcConn + "    on_table_error: halt\n",
			[]string{`8 connectors[0].on_table_error: |"halt" is not allowed; use quarantine or stop`}},
		{"enums", head + srcConn + "    snapshot: Never\n    flavor: MariaDB\n",
			[]string{`8 connectors[0].snapshot: |"Never" is not allowed; use initial, when_needed or never (did you mean "never"?)`,
				`9 connectors[0].flavor: |"MariaDB" is not allowed; use auto, mysql or mariadb (did you mean "mariadb"?)`}},
		{"table patterns", head + repl(srcConn, `tables: ["shop.*"]`,
			"tables:\n      - shop\n      - a.b.c\n      - .t\n      - \"db.[x\"\n      - \"*.*\""),
			[]string{`8 connectors[0].tables[0]: |"shop" has no dot`, `9 connectors[0].tables[1]: |more than one dot`,
				`10 connectors[0].tables[2]: |empty database or table part`, `11 connectors[0].tables[3]: |is not a valid pattern`}},
		{"unique_key_tables patterns", head + srcConn + "    unique_key_tables: [\"shop\"]\n",
			[]string{`8 connectors[0].unique_key_tables[0]: |"shop" has no dot`}},
		{"empty tables", head + repl(srcConn, `tables: ["shop.*"]`, `tables: []`),
			[]string{`7 connectors[0].tables: |is empty`}},
		{"snapshot bounds", head + srcConn + "    snapshot_chunk_size: 0\n    snapshot_parallelism: 33\n",
			[]string{`8 connectors[0].snapshot_chunk_size: |must be at least 1, got 0`,
				`9 connectors[0].snapshot_parallelism: |must be between 1 and 32, got 33`}},
		{"skip_ddl not a position", head + srcConn + "    skip_ddl: [\"ALTER TABLE t\"]\n",
			[]string{`8 connectors[0].skip_ddl[0]: |is not a binlog position`}},
		{"invalid DSN is masked", head + repl(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:hunter2@tcp(h:3306"`),
			[]string{`5 connectors[0].dsn: |invalid DSN "u:***@tcp(h:3306": missing the slash`}},
		{"source over a socket", head + repl(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:p@unix(/run/mysqld.sock)/"`),
			[]string{`5 connectors[0].dsn: |DSN "u:***@unix(/run/mysqld.sock)/" does not connect over tcp(host:port)`}},
		{"tls in the dsn and the tls key", head + repl(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "u:p@tcp(h:3306)/?tls=true"`) +
			"    tls: {mode: required}\n",
			[]string{`8 connectors[0].tls: |the dsn sets tls= too; configure TLS in one place: remove tls= from the dsn`}},
		{"same server_id on the same server", head + srcConn + repl(srcConn, "name: src", "name: src2"),
			[]string{`11 connectors[1].server_id: |1 is also the server_id of connectors[0] (src), which reads the same MySQL server`}},
		{"same server_id on other servers is fine", head + srcConn + repl(repl(srcConn, "name: src", "name: src2"), "h:3306", "h2:3306"), nil},
	})
}

func TestConfigDefaults(t *testing.T) {
	c := configtest.Parse(t, head+srcConn, conftest.Kinds)
	src := source.ConfigOf(c.Connector("src"))
	if src.Snapshot != "initial" || src.SnapshotChunkSize != 5000 || src.SnapshotParallel != 2 || src.Flavor != "auto" {
		t.Errorf("source defaults: %+v", src)
	}
	if src.Connector != c.Connector("src") || src.ServerID != 1 || src.Tables[0] != "shop.*" {
		t.Errorf("source keys: %+v", src)
	}
	// A value written in the file is kept, even the smallest.
	c = configtest.Parse(t, head+repl(srcConn, "server_id: 1", "server_id: 4294967295")+
		"    snapshot: never\n    snapshot_chunk_size: 1\n    flavor: mariadb\n    skip_ddl: [\"mariadb-bin.000003:12345\"]\n", conftest.Kinds)
	s := source.ConfigOf(c.Connector("src"))
	if s.ServerID != 4294967295 || s.Snapshot != "never" || s.SnapshotChunkSize != 1 || s.Flavor != "mariadb" {
		t.Errorf("source = %+v", s)
	}
	if want := []string{"mariadb-bin.000003:12345"}; !reflect.DeepEqual(s.SkipDDL, want) {
		t.Errorf("skip_ddl = %v, want %v", s.SkipDDL, want)
	}
}

// TestMaskDSNRandomPasswords builds DSNs around passwords full of the DSN's
// own separators and checks that neither config.MaskDSN, dbconn.ParseDSN
// nor a config error shows them, whether the driver accepts the DSN or not.
func TestMaskDSNRandomPasswords(t *testing.T) {
	const alphabet = "ab9@/:?()=&%$#!*' \\.,;[]{}"
	rng := rand.New(rand.NewPCG(1, 2))
	forms := []string{
		"u:%s@tcp(h:3306)/", "u:%s@tcp(h:3306)/db?tls=skip-verify", "u:%s@tcp(h:3306)", "u:%s@unix(/s)/",
		"u:%s@/", "u:%s@tcp(h:3306", "u:%s@tcp(h:3306)/db?allowAllFiles=maybe", "user:%s@tcp(h:3306)/?x=%%zz",
	}
	src := head + repl(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "${DSN}"`)
	shows := func(s string) bool { return strings.Contains(s, "PW") || strings.Contains(s, "QZ") }
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		b.WriteString("PW")
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		b.WriteString("QZ")
		dsn := strings.Replace(forms[i%len(forms)], "%s", b.String(), 1)
		if m := config.MaskDSN(dsn); shows(m) {
			t.Fatalf("MaskDSN(%q) = %q shows the password", dsn, m)
		}
		if _, msg := dbconn.ParseDSN(dsn); shows(msg) {
			t.Fatalf("ParseDSN(%q) message %q shows the password", dsn, msg)
		}
		t.Setenv("DSN", dsn)
		if _, err := config.Parse([]byte(src), "t.yaml", conftest.Kinds); err != nil && shows(err.Error()) {
			t.Fatalf("config error for %q shows the password:\n%v", dsn, err)
		}
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
	t.Setenv("S", secret)
	errs := configtest.ParseErrs(t, src, conftest.Kinds)
	// A problem with every key but the names, which are valid, and the dsn
	// of the unknown type, whose format only its type would know.
	if len(errs) != 5 {
		t.Errorf("expected a problem with every key, got:\n%v", errs)
	}
	if strings.Contains(errs.Error(), secret[:4]) {
		t.Errorf("a message quotes the secret:\n%v", errs)
	}
}
