package check

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// checkSetup is a source server with a shop database and a replica server,
// and the config of one source and one sink reading and writing them.
type checkSetup struct {
	src, dst *mariadbtest.Server
	cfg      *config.Config
	kafka    *kafka.Client // the pipeline's Kafka; nil: none
}

func newCheckSetup(t *testing.T) *checkSetup {
	t.Helper()
	cs := &checkSetup{src: mariadbtest.Start(t, mariadbtest.Options{}), dst: mariadbtest.Start(t, mariadbtest.Options{})}
	cs.src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, total INT)",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, label TEXT)")
	cs.cfg = checkConfig(
		&source.Config{Connector: &config.Connector{Name: "src", DSN: cs.src.DSN("")}, ServerID: 4242, Tables: []string{"shop.*"}, Snapshot: "initial", Flavor: "auto"},
		&sink.Config{Connector: &config.Connector{Name: "replica", DSN: cs.dst.DSN("")}, Source: "src", CheckpointDB: "sluice", CreateTables: new(true)})
	return cs
}

// checkConfig returns a file of src and dst built in code, each connector's
// Spec its config, as config.Load makes them.
func checkConfig(src *source.Config, dst *sink.Config) *config.Config {
	cfg := &config.Config{Name: "t", Connectors: []config.Connector{*src.Connector, *dst.Connector}}
	src.Connector, dst.Connector = &cfg.Connectors[0], &cfg.Connectors[1]
	src.Type, src.Role, src.Spec = source.TypeName, config.RoleSource, src
	dst.Type, dst.Role, dst.Spec = sink.TypeName, config.RoleSink, dst
	return cfg
}

// srcCfg and dstCfg return the configs of the setup's source and sink.
func (cs *checkSetup) srcCfg() *source.Config { return source.ConfigOf(&cs.cfg.Connectors[0]) }
func (cs *checkSetup) dstCfg() *sink.Config   { return sink.ConfigOf(&cs.cfg.Connectors[1]) }

// check runs the Check of the connector called name.
func (cs *checkSetup) check(t *testing.T, name string) []connector.Finding {
	t.Helper()
	c := cs.cfg.Connector(name)
	env := connector.Env{Config: cs.cfg, Logger: slog.New(slog.DiscardHandler), Kafka: cs.kafka}
	var ch connector.Checker
	if c.IsSource() {
		ch = NewSource(source.ConfigOf(c), env)
	} else {
		ch = NewSink(sink.ConfigOf(c), env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fs := ch.Check(ctx)
	for _, f := range fs {
		t.Logf("%-7s %s: %s; fix: %s", f.Severity, f.Subject, f.Message, f.Fix)
	}
	return fs
}

// find returns the first finding of severity sev whose subject, message
// and fix together contain every one of words.
func find(fs []connector.Finding, sev connector.Severity, words ...string) *connector.Finding {
next:
	for i, f := range fs {
		if f.Severity != sev {
			continue
		}
		all := f.Subject + " " + f.Message + " " + f.Fix
		for _, w := range words {
			if !strings.Contains(all, w) {
				continue next
			}
		}
		return &fs[i]
	}
	return nil
}

func noneOf(t *testing.T, fs []connector.Finding, sevs ...connector.Severity) {
	t.Helper()
	for _, f := range fs {
		for _, s := range sevs {
			if f.Severity == s {
				t.Errorf("unexpected %s finding: %s: %s", f.Severity, f.Subject, f.Message)
			}
		}
	}
}

func TestCheckReady(t *testing.T) {
	cs := newCheckSetup(t)
	fs := cs.check(t, "src")
	noneOf(t, fs, connector.SeverityError, connector.SeverityUnknown)
	for _, w := range []string{"log_bin", "binlog_format", "binlog_row_image", "server_id 4242", "2 selected, each with a primary key", "REPLICATION SLAVE"} {
		if find(fs, connector.SeverityOK, w, cs.src.Addr()) == nil {
			t.Errorf("no OK finding about %q on %s", w, cs.src.Addr())
		}
	}
	// The test server keeps binlogs forever: a warning with the my.cnf line.
	if find(fs, connector.SeverityWarn, "binlog retention", "never purged", "binlog_expire_logs_seconds=") == nil {
		t.Error("no retention warning")
	}
	fs = cs.check(t, "replica")
	// The test servers have no certificate (TestCheckWarnsPlaintext).
	noneOf(t, withoutTLS(t, fs), connector.SeverityError, connector.SeverityUnknown, connector.SeverityWarn)
	for _, w := range []string{"read_only", "target database shop", "checkpoint_db sluice"} {
		if find(fs, connector.SeverityOK, w, cs.dst.Addr()) == nil {
			t.Errorf("no OK finding about %q on %s", w, cs.dst.Addr())
		}
	}
	// workers > 1: the sink's XA RECOVER at start is allowed.
	cs.dstCfg().Workers = 2
	if find(cs.check(t, "replica"), connector.SeverityOK, "XA RECOVER (workers: 2)", cs.dst.Addr()) == nil {
		t.Error("no OK finding about XA RECOVER with workers: 2")
	}
	cs.dstCfg().Workers = 0
	// A wildcard database part: the sink asks the source which databases match.
	cs.srcCfg().Tables = []string{"sh?p.*"}
	if find(cs.check(t, "replica"), connector.SeverityOK, "target database shop") == nil {
		t.Error("the databases of a wildcard pattern are not checked")
	}
}

func TestCheckSourceProblems(t *testing.T) {
	cs := newCheckSetup(t)
	cs.src.Exec(t, "SET GLOBAL binlog_format = 'STATEMENT'",
		"CREATE TABLE shop.nopk (a INT, b INT)",
		"CREATE USER 'repl'@'%' IDENTIFIED BY 's3cret-pw'",
		"GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'",
		"GRANT SELECT ON shop.orders TO 'repl'@'%'", "GRANT SELECT ON shop.nopk TO 'repl'@'%'")
	cs.cfg.Connectors[0].DSN = fmt.Sprintf("repl:s3cret-pw@tcp(%s)/", cs.src.Addr())
	fs := cs.check(t, "src")
	if find(fs, connector.SeverityError, "binlog_format on "+cs.src.Addr(), "STATEMENT", "binlog_format=ROW") == nil {
		t.Error("no error naming binlog_format and its fix")
	}
	// A table without a primary key is replicated (rows matched by all
	// their values): a note, not an error.
	if find(fs, connector.SeverityOK, "table shop.nopk", "no primary key", "all its values", "ALTER TABLE `shop`.`nopk` ADD PRIMARY KEY") == nil {
		t.Error("no note on the table without a primary key")
	}
	if find(fs, connector.SeverityError, "table shop.nopk") != nil {
		t.Error("the table without a primary key is reported as an error")
	}
	if find(fs, connector.SeverityError, "GRANT REPLICATION CLIENT ON *.* TO 'repl'@'%';") == nil {
		t.Error("no GRANT statement for the missing REPLICATION CLIENT")
	}
	// shop.items exists but repl cannot see it: shop.* wants a database grant.
	if f := find(fs, connector.SeverityError, "missing SELECT"); f == nil || f.Fix != "GRANT SELECT ON `shop`.* TO 'repl'@'%';" {
		t.Errorf("missing SELECT: got %+v", f)
	}
	cs.cfg.Connectors[0].DSN = fmt.Sprintf("repl:wrong-pw@tcp(%s)/", cs.src.Addr())
	login := cs.check(t, "src")
	if len(login) != 1 || find(login, connector.SeverityError, "login on "+cs.src.Addr(), "Access denied") == nil {
		t.Errorf("a wrong password: %+v", login)
	}
	for _, f := range append(fs, login...) {
		if strings.Contains(f.Subject+f.Message+f.Fix, "s3cret") || strings.Contains(f.Subject+f.Message+f.Fix, "wrong-pw") {
			t.Errorf("a finding shows the password: %+v", f)
		}
	}
}

func TestCheckDuplicateServerID(t *testing.T) {
	cs := newCheckSetup(t)
	var file string
	var pos uint32
	var doDB, ignoreDB any
	if err := cs.src.DB(t).QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(cs.src.Addr())
	var p uint16
	fmt.Sscan(port, &p)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{ServerID: 4242, Flavor: "mariadb",
		Host: "127.0.0.1", Port: p, User: "root", Localhost: "other-reader", Logger: slog.New(slog.DiscardHandler)})
	defer syncer.Close()
	if _, err := syncer.StartSync(gomysql.Position{Name: file, Pos: pos}); err != nil {
		t.Fatal(err)
	}
	fs := cs.check(t, "src")
	f := find(fs, connector.SeverityError, "server_id 4242", "already used", "other-reader")
	if f == nil || !strings.Contains(f.Fix, "server_id: 4243") {
		t.Errorf("no error naming the duplicate server_id with a free one: %+v", f)
	}

	// The same reader while this connector runs (a member in its leader
	// election group): the id is its own, not a conflict.
	b, err := kafka.StartEmbedded(kafka.EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cs.kafka = kafka.NewClient([]string{b.Addr()}, 1, 1<<20)
	if f := find(cs.check(t, "src"), connector.SeverityError, "server_id 4242"); f == nil {
		t.Error("with nothing running the source, the duplicate server_id is no longer refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := cs.kafka.Campaign(ctx, event.Topics{Pipeline: "t", Source: "src"}.Leader(), kafka.Member{Host: "h", PID: 77}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	fs = cs.check(t, "src")
	l.Resign()
	if find(fs, connector.SeverityError, "server_id 4242") != nil || find(fs, connector.SeverityOK, "server_id 4242", "this connector's own", "h pid 77") == nil {
		t.Errorf("a running source's own reader is reported as a conflict: %+v", fs)
	}
	cs.kafka = nil

	cs.srcCfg().ServerID = cs.src.ServerID
	if find(cs.check(t, "src"), connector.SeverityError, "server's own @@server_id") == nil {
		t.Error("the server's own server_id is not refused")
	}
}

func TestCheckUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cs := &checkSetup{cfg: checkConfig(
		&source.Config{Connector: &config.Connector{Name: "src", DSN: "root:pw@tcp(" + addr + ")/"}, ServerID: 7, Tables: []string{"shop.*"}},
		&sink.Config{Connector: &config.Connector{Name: "replica", DSN: "root:pw@tcp(" + addr + ")/"}, Source: "src", CheckpointDB: "sluice"})}
	for _, name := range []string{"src", "replica"} {
		fs := cs.check(t, name)
		if len(fs) != 1 || find(fs, connector.SeverityUnknown, "connect on "+addr, "unreachable", "connection refused") == nil {
			t.Errorf("%s: want one unknown finding naming %s, got %+v", name, addr, fs)
		}
		if strings.Contains(fs[0].Fix, ":pw@") {
			t.Errorf("the fix shows the password: %s", fs[0].Fix)
		}
	}
}

func TestCheckSinkProblems(t *testing.T) {
	cs := newCheckSetup(t)
	cs.dst.Exec(t, "CREATE USER 'app'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%'",
		"SET GLOBAL read_only = ON")
	cs.cfg.Connectors[1].DSN = fmt.Sprintf("app:pw@tcp(%s)/", cs.dst.Addr())
	fs := cs.check(t, "replica")
	if find(fs, connector.SeverityError, "read_only on "+cs.dst.Addr(), "SET GLOBAL read_only = OFF") == nil {
		t.Error("no error about read_only")
	}
	if f := find(fs, connector.SeverityError, "target database shop"); f == nil || f.Fix != "GRANT CREATE, ALTER, DROP, INDEX ON `shop`.* TO 'app'@'%';" {
		t.Errorf("target database grant: got %+v", f)
	}
	if f := find(fs, connector.SeverityError, "checkpoint_db sluice"); f == nil || f.Fix != "GRANT CREATE, SELECT, INSERT, UPDATE ON `sluice`.* TO 'app'@'%';" {
		t.Errorf("checkpoint_db grant: got %+v", f)
	}
}

func TestParseGrants(t *testing.T) {
	g := dbconn.ParseGrants([]string{
		"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `repl`@`%` IDENTIFIED BY PASSWORD '*D821'",
		"GRANT SELECT ON `shop\\_1`.* TO `repl`@`%`",
		"GRANT ALL PRIVILEGES ON `crm%`.* TO `repl`@`%`",
		"GRANT SELECT (`a`), INSERT ON `shop_2`.`t` TO `repl`@`%`",
		"GRANT SELECT ON `we``ird`.`x.y` TO `repl`@`%`",
		"GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `repl`@`%`",
		"GRANT `reader` TO `repl`@`%`",
	})
	cases := []struct {
		priv, db, table string
		want            bool
	}{
		{"REPLICATION SLAVE", "", "", true},
		{"REPLICATION CLIENT", "", "", true}, // BINLOG MONITOR is its MariaDB name
		{"RELOAD", "", "", false},
		{"SELECT", "shop_1", "", true},
		{"SELECT", "shopx1", "", false}, // \_ is a literal _
		{"SELECT", "shop_1", "any", true},
		{"CREATE", "crm_eu", "", true},   // ALL PRIVILEGES on a LIKE pattern
		{"SELECT", "shop_2", "t", false}, // column privilege only
		{"INSERT", "shop_2", "t", true},
		{"INSERT", "shop_2", "", false},
		{"SELECT", "we`ird", "x.y", true},
		{"EXECUTE", "shop", "", false},
	}
	for _, c := range cases {
		if got := g.Has(c.priv, c.db, c.table); got != c.want {
			t.Errorf("has(%q, %q, %q) = %v, want %v", c.priv, c.db, c.table, got, c.want)
		}
	}
	if len(g.Roles) != 1 || g.Roles[0] != "`reader`" {
		t.Errorf("roles = %q", g.Roles)
	}
	if u := dbconn.Grantee("o'neil@10.0.%"); u != "'o''neil'@'10.0.%'" {
		t.Errorf("grantee = %s", u)
	}
}

// withoutTLS returns fs without the finding about encryption, after
// checking that there is exactly one, a warning (the test servers have no
// certificate).
func withoutTLS(t *testing.T, fs []connector.Finding) []connector.Finding {
	t.Helper()
	var out []connector.Finding
	n := 0
	for _, f := range fs {
		if strings.HasPrefix(f.Subject, "tls on ") {
			n++
			if f.Severity != connector.SeverityWarn || !strings.Contains(f.Message, "not encrypted") {
				t.Errorf("tls finding on a server without a certificate: %s %s", f.Severity, f.Message)
			}
			continue
		}
		out = append(out, f)
	}
	if n != 1 {
		t.Errorf("%d tls findings, want 1", n)
	}
	return out
}

// TestCheckReplicaWithoutLogUpdates: a source pointed at a replica that
// does not write what it replicates to its binlog would miss every change
// made on the primary. Run (Preflight) refuses it and check reports it,
// naming log_slave_updates; with it ON the same topology is fine.
func TestCheckReplicaWithoutLogUpdates(t *testing.T) {
	primary := mariadbtest.Start(t, mariadbtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, logUpdates := range []bool{false, true} {
		replica := mariadbtest.Start(t, mariadbtest.Options{LogReplicaUpdates: logUpdates})
		if err := replica.ReplicateFrom(ctx, primary); err != nil {
			t.Fatal(err)
		}
		_, err := dbconn.Preflight(ctx, replica.DB(t), replica.Addr(), "auto")
		cs := &checkSetup{cfg: checkConfig(
			&source.Config{Connector: &config.Connector{Name: "src", DSN: replica.DSN("")}, ServerID: 4242, Tables: []string{"shop.*"}, Snapshot: "initial", Flavor: "auto"},
			&sink.Config{Connector: &config.Connector{Name: "replica", DSN: replica.DSN("")}, Source: "src", CheckpointDB: "sluice"})}
		bad := find(cs.check(t, "src"), connector.SeverityError, "log_slave_updates", "OFF on a replica of 127.0.0.1:", "point the source's dsn at the primary")
		if logUpdates {
			if err != nil || bad != nil {
				t.Errorf("log_slave_updates ON: preflight %v, check %+v; want both fine", err, bad)
			}
			continue
		}
		if err == nil || !connector.IsFatal(err) || !strings.Contains(err.Error(), "log_slave_updates") {
			t.Errorf("preflight on a replica with log_slave_updates OFF: %v, want a fatal error naming log_slave_updates", err)
		}
		if bad == nil {
			t.Error("check does not report log_slave_updates OFF on a replica")
		}
	}
}
