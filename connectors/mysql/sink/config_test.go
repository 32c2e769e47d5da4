package sink_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/conftest"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

const (
	head     = conftest.Head
	srcConn  = conftest.Src
	sinkConn = conftest.Sink
)

// TestConfigErrors: what is wrong with a mysql-sink's keys, each problem
// with its line and key path.
func TestConfigErrors(t *testing.T) {
	other := strings.Replace(sinkConn, "name: dst\n", "name: dst2\n", 1)
	configtest.Run(t, conftest.Kinds, []configtest.Case{
		{"string for bool", head + srcConn + sinkConn + "    create_tables: yes\n",
			[]string{`12 connectors[1].create_tables: |expected true or false, got "yes"`}},
		{"source keys on a sink", head + srcConn + sinkConn + "    server_id: 2\n    tables: [\"a.b\"]\n    skip_ddl: [\"f.1:2\"]\n",
			[]string{`12 connectors[1].server_id: |only valid for type mysql-source`,
				`13 connectors[1].tables: |only valid for type mysql-source`,
				`14 connectors[1].skip_ddl: |only valid for type mysql-source`}},
		{"chunk and batch zero", head + srcConn + "    snapshot_chunk_size: 0\n" + sinkConn + "    batch_rows: 0\n",
			[]string{`8 connectors[0].snapshot_chunk_size: |must be at least 1, got 0`,
				`13 connectors[1].batch_rows: |must be at least 1, got 0`}},
		{"batch bytes too small", head + srcConn + sinkConn + "    batch_bytes: 100\n",
			[]string{`12 connectors[1].batch_bytes: |must be at least 1024, got 100`}},
		{"workers out of range", head + srcConn + "    workers: 2\n" + sinkConn + "    workers: 17\n",
			[]string{`8 connectors[0].workers: |only valid for type mysql-sink, and this connector is a mysql-source; remove it`,
				`13 connectors[1].workers: |must be between 1 and 16, got 17`}},
		{"sink required keys", head + srcConn + "  - name: y\n    type: mysql-sink\n    dsn: \"u@tcp(h:1)/\"\n",
			[]string{`8 connectors[1].source: |required; set the name of the mysql-source connector to replicate (known: src)`}},
		{"source names nothing", head + srcConn + strings.Replace(sinkConn, "source: src", "source: sr", 1),
			[]string{`10 connectors[1].source: |"sr" names no mysql-source connector (known: src); did you mean "src"?`}},
		{"two sinks of one source are fine", head + srcConn + sinkConn + other, nil},
		{"source names a sink", head + srcConn + sinkConn + strings.Replace(other, "source: src", "source: dst", 1),
			[]string{`14 connectors[2].source: |"dst" is a mysql-sink connector, not a mysql-source`}},
		{"no sources at all", head + sinkConn,
			[]string{`5 connectors[0].source: |names no mysql-source connector (this file has none yet: add one)`}},
		{"checkpoint_db", head + srcConn + sinkConn + "    checkpoint_db: a.b\n",
			[]string{`12 connectors[1].checkpoint_db: |"a.b" is not a usable database name`}},
		{"on_table_error", head + srcConn + sinkConn + "    on_table_error: Stop\n",
			[]string{`12 connectors[1].on_table_error: |"Stop" is not allowed; use quarantine or stop (did you mean "stop"?)`}},
		{"empty checkpoint_db", head + srcConn + sinkConn + "    checkpoint_db: \"\"\n",
			[]string{`12 connectors[1].checkpoint_db: |is empty`}},
		{"sink over a socket is fine", head + srcConn + strings.Replace(sinkConn, "tcp(r:3306)", "unix(/run/mysqld.sock)", 1), nil},
		{"sink's building blocks", head + srcConn + sinkConn + "    routes: {\"shop\": \"copy.orders\"}\n    errors: {tolerance: all}\n" +
			"    retry: {max_backoff: 1ms}\n    verify: {max_wait: 1ms}\n",
			[]string{`12 connectors[1].routes["shop"]: |source "shop" must be db.table`,
				`13 connectors[1].errors.dead_letter_topic: |required; set the topic that receives the messages skipped under tolerance: all (e.g. _sluice.dlq.dst)`,
				`14 connectors[1].retry.max_backoff: |is 1ms; use at least 100ms`,
				`15 connectors[1].verify.max_wait: |is 1ms; use at least 1s`}},
	})
}

func TestConfigDefaults(t *testing.T) {
	c := configtest.Parse(t, "verify: {every: 1h}\n"+head+srcConn+sinkConn, conftest.Kinds)
	s := sink.ConfigOf(c.Connector("dst"))
	if s.Connector != c.Connector("dst") || s.Source != "src" {
		t.Errorf("sink keys: %+v", s)
	}
	if s.BatchRows != 5000 || s.BatchBytes != 16<<20 || s.Workers != 1 || s.CheckpointDB != "sluice" || s.CreateTables == nil || !*s.CreateTables ||
		s.OnTableError != config.OnTableErrorQuarantine {
		t.Errorf("sink defaults: %+v", s)
	}
	if s.Errors != (config.SinkErrors{Tolerance: config.ToleranceNone}) || s.Retry != (config.Retry{MaxAttempts: 10, MaxBackoff: 30 * time.Second}) {
		t.Errorf("defaults: errors %+v, retry %+v", s.Errors, s.Retry)
	}
	// What the runtime reads through connector's interfaces.
	vs := c.Connector("dst").Spec.(connector.VerifySettings).VerifySettings()
	if vs != (config.Verify{Every: time.Hour, ChunkRows: config.DefaultVerifyChunkRows, MaxWait: config.DefaultVerifyMaxWait}) {
		t.Errorf("VerifySettings = %+v, want the top-level verify", vs)
	}
	if r := c.Connector("dst").Spec.(connector.RetrySettings).RetrySettings(); r != s.Retry {
		t.Errorf("RetrySettings = %+v", r)
	}
	// A value written in the file is kept, even false or the smallest.
	c = configtest.Parse(t, head+srcConn+sinkConn+"    batch_rows: 1\n    checkpoint_db: cp\n    create_tables: false\n"+
		"    routes: {\"shop.orders\": \"archive.orders_v2\", \"shop.*\": \"shop_copy.*\"}\n    verify: {every: 0s}\n", conftest.Kinds)
	d := sink.ConfigOf(c.Connector("dst"))
	if d.BatchRows != 1 || d.CheckpointDB != "cp" || *d.CreateTables || d.Verify.Every != 0 {
		t.Errorf("sink = %+v", d)
	}
	want := []config.Route{{From: "shop.orders", To: "archive.orders_v2"}, {From: "shop.*", To: "shop_copy.*"}}
	if !reflect.DeepEqual(d.Routes, want) {
		t.Errorf("routes = %v, want %v", d.Routes, want)
	}
}
