package app

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// build builds the connector of c from reg; it does no I/O.
func build(reg connector.Registry, c *config.Connector, env connector.Env) (connector.Connector, error) {
	t, ok := reg[c.Type]
	if !ok {
		return nil, fmt.Errorf("connector %s: unknown type %q", c.Name, c.Type)
	}
	return t.New(c, env)
}

// cliEnv is the environment of connectors built by a command that does not
// run them (verify, snapshot): the pipeline's Kafka, metrics nobody serves.
func cliEnv(cfg *config.Config, log *slog.Logger) connector.Env {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return connector.Env{Config: cfg, Kafka: pipelineClient(cfg), Metrics: metrics.New(), Logger: log}
}
