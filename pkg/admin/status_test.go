package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

func TestStatusEndpoint(t *testing.T) {
	s, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), func() map[string]error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	lag := 0.0
	s.HandleStatus(func(ctx context.Context) ProcessStatus {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("/status handler context has no deadline")
		}
		return ProcessStatus{PID: 7, Host: "h", Pipeline: "shop", Admin: s.Addr(), Time: time.Now(),
			Connectors: []connector.Status{{Name: "replica-1", Type: "mysql-sink", State: "running",
				Partitions: []connector.PartitionStatus{{Topic: "t", Committed: 3, End: 5, Lag: 2}}, ReplicationLagSeconds: &lag}}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx)
	resp, err := http.Get("http://" + s.Addr() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	c := raw["connectors"].([]any)[0].(map[string]any)
	p := c["partitions"].([]any)[0].(map[string]any)
	if raw["pid"] != 7.0 || raw["pipeline"] != "shop" || c["state"] != "running" || p["lag"] != 2.0 || c["replication_lag_seconds"] != 0.0 {
		t.Errorf("/status = %v", raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}
