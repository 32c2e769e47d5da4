package config_test

import (
	"reflect"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestRoutes(t *testing.T) {
	src := head + srcConn + sinkConn + "    routes: {\"shop.orders\": \"archive.orders_v2\", \"shop.*\": \"shop_copy.*\"}\n"
	c := configtest.Parse(t, src, fakeKinds)
	want := []config.Route{{From: "shop.orders", To: "archive.orders_v2"}, {From: "shop.*", To: "shop_copy.*"}}
	if got := spec[*fakeSink](c, "dst").Routes; !reflect.DeepEqual(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}
}

func TestRoutesErrors(t *testing.T) {
	configtest.Run(t, fakeKinds, []configtest.Case{
		{"star on one side", head + srcConn + sinkConn + "    routes: {\"shop.*\": \"copy.orders\"}\n",
			[]string{`12 connectors[1].routes["shop.*"]: |the replica side must have * exactly where the source side has it`}},
		{"no dot", head + srcConn + sinkConn + "    routes: {\"shop\": \"copy.orders\"}\n",
			[]string{`12 connectors[1].routes["shop"]: |source "shop" must be db.table`}},
		{"not a mapping", head + srcConn + sinkConn + "    routes: [\"a.b\"]\n",
			[]string{`12 connectors[1].routes: |expected a mapping of source to replica tables`}},
		{"on a source", head + srcConn + "    routes: {\"a.b\": \"c.d\"}\n",
			[]string{`8 connectors[0].routes: |only valid for type fake-sink`}},
	})
}
