package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// newSnapshotCmd is `sluice snapshot`: it asks a source to copy tables again
// while streaming. The request goes on the source's signal topic in Kafka,
// so it reaches the source wherever it runs, and a source that is down
// acts on it when it starts.
func newSnapshotCmd(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var file, source string
	var tables []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "snapshot --config FILE --table DB.TABLE [--table ...] [--connector SOURCE]",
		Short: "Copy tables again while streaming (incremental snapshot)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, cfg, err := g.load(stderr, file)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			out, err := requestSnapshot(ctx, g.reg, cliEnv(cfg, log), admin.SnapshotRequest{Tables: tables, Connector: source}, "cli")
			if err != nil {
				return err
			}
			b, _ := json.Marshal(out)
			fmt.Fprintln(stdout, string(b))
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "config file (YAML)")
	cmd.Flags().StringArrayVar(&tables, "table", nil, "db.table to copy again (repeatable)")
	cmd.Flags().StringVar(&source, "connector", "", "the mysql-source (default: the file's only one)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up publishing the request after this long")
	_ = cmd.MarkFlagRequired("config")
	_ = cmd.MarkFlagRequired("table")
	return cmd
}

// pipelineClient reaches the pipeline's Kafka: its brokers, or the
// embedded broker a running `sluice run` serves.
func pipelineClient(cfg *config.Config) *kafka.Client {
	brokers := cfg.Kafka.Brokers
	if cfg.Embedded() {
		brokers = []string{dialAddr(cfg.Kafka.Embedded.Listen)}
	}
	return kafka.NewClient(brokers, cfg.Kafka.ReplicationFactor, cfg.Kafka.MaxMessageBytes, kafkaOpts(cfg)...)
}

// snapshotAccepted is what `sluice snapshot` prints and POST /snapshot
// answers (202).
type snapshotAccepted struct {
	Request   string   `json:"request"`
	Connector string   `json:"connector"`
	Tables    []string `json:"tables"`
	Topic     string   `json:"topic"`
	Offset    int64    `json:"offset"`
}

// requestSnapshot validates req against cfg and publishes it; mistakes in
// req wrap admin.ErrBadRequest.
func requestSnapshot(ctx context.Context, reg connector.Registry, env connector.Env, req admin.SnapshotRequest, by string) (*snapshotAccepted, error) {
	src, err := snapshotSource(env.Config, req.Connector)
	if err == nil {
		var sig *snapshotAccepted
		s, off, perr := requestOf(ctx, reg, src, env, req.Tables, by)
		if perr == nil {
			sig = &snapshotAccepted{Request: s.ID, Connector: src.Name, Tables: s.Tables, Offset: off,
				Topic: event.Topics{Pipeline: env.Config.Name, Source: src.Name}.Signal()}
			return sig, nil
		}
		err = perr
	}
	if errors.Is(err, connector.ErrBadSnapshotRequest) {
		return nil, fmt.Errorf("%w: %w", admin.ErrBadRequest, err)
	}
	return nil, err
}

// requestOf builds src's connector (no I/O) and asks it to publish the
// request, when its type takes snapshot requests.
func requestOf(ctx context.Context, reg connector.Registry, src *config.Connector, env connector.Env, tables []string, by string) (*event.Signal, int64, error) {
	conn, err := build(reg, src, env)
	if err != nil {
		return nil, 0, err
	}
	r, ok := conn.(connector.SnapshotRequester)
	if !ok {
		return nil, 0, fmt.Errorf("%w: connector %s (type %s) takes no snapshot requests", connector.ErrBadSnapshotRequest, src.Name, src.Type)
	}
	return r.RequestSnapshot(ctx, tables, by)
}

// snapshotSource returns the source a snapshot request is for: the one
// named, or the file's only source when name is empty.
func snapshotSource(cfg *config.Config, name string) (*config.Connector, error) {
	srcs := cfg.Sources()
	if name == "" {
		if len(srcs) != 1 {
			var names []string
			for _, s := range srcs {
				names = append(names, s.Name)
			}
			return nil, fmt.Errorf("%w: %s has %d source connectors (%s): name one", connector.ErrBadSnapshotRequest, cfg.Path, len(srcs), strings.Join(names, ", "))
		}
		return srcs[0], nil
	}
	c := cfg.Connector(name)
	if c == nil || !c.IsSource() {
		return nil, fmt.Errorf("%w: %q is not a source connector of %s", connector.ErrBadSnapshotRequest, name, cfg.Path)
	}
	return c, nil
}

// snapshotHandler serves POST /snapshot of a `sluice run` process.
func snapshotHandler(reg connector.Registry, env connector.Env) admin.SnapshotFunc {
	return func(ctx context.Context, req admin.SnapshotRequest) (any, error) {
		return requestSnapshot(ctx, reg, env, req, "admin")
	}
}
