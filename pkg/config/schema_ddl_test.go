package config

import (
	"reflect"
	"testing"
)

func TestRoutesAndSkipDDL(t *testing.T) {
	src := head + srcConn + "    skip_ddl: [\"mariadb-bin.000003:12345\"]\n" + sinkConn +
		"    routes: {\"shop.orders\": \"archive.orders_v2\", \"shop.*\": \"shop_copy.*\"}\n"
	c, err := parse([]byte(src), "t.yaml", env())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"mariadb-bin.000003:12345"}; !reflect.DeepEqual(c.Connectors[0].SkipDDL, want) {
		t.Errorf("skip_ddl = %v, want %v", c.Connectors[0].SkipDDL, want)
	}
	want := []Route{{"shop.orders", "archive.orders_v2"}, {"shop.*", "shop_copy.*"}}
	if !reflect.DeepEqual(c.Connectors[1].Routes, want) {
		t.Errorf("routes = %v, want %v", c.Connectors[1].Routes, want)
	}
}

func TestRoutesAndSkipDDLErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"skip_ddl not a position", head + srcConn + "    skip_ddl: [\"ALTER TABLE t\"]\n",
			[]string{`8 connectors[0].skip_ddl[0]: |is not a binlog position`}},
		{"routes on a source", head + srcConn + "    routes: {\"a.b\": \"c.d\"}\n",
			[]string{`8 connectors[0].routes: |only valid for type mysql-sink`}},
		{"skip_ddl on a sink", head + srcConn + sinkConn + "    skip_ddl: [\"f.1:2\"]\n",
			[]string{`12 connectors[1].skip_ddl: |only valid for type mysql-source`}},
		{"star on one side", head + srcConn + sinkConn + "    routes: {\"shop.*\": \"copy.orders\"}\n",
			[]string{`12 connectors[1].routes["shop.*"]: |the replica side must have * exactly where the source side has it`}},
		{"no dot", head + srcConn + sinkConn + "    routes: {\"shop\": \"copy.orders\"}\n",
			[]string{`12 connectors[1].routes["shop"]: |source "shop" must be db.table`}},
		{"not a mapping", head + srcConn + sinkConn + "    routes: [\"a.b\"]\n",
			[]string{`12 connectors[1].routes: |expected a mapping of source to replica tables`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, parseErrs(t, tc.src, env()), tc.want)
		})
	}
}
