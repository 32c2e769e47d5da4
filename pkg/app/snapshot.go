package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-cdc/sluice/connectors/mysql"
	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/config"
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
			_, cfg, err := g.load(stderr, file)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			out, err := requestSnapshot(ctx, cfg, pipelineClient(cfg), admin.SnapshotRequest{Tables: tables, Connector: source}, "cli")
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
func requestSnapshot(ctx context.Context, cfg *config.Config, c *kafka.Client, req admin.SnapshotRequest, by string) (*snapshotAccepted, error) {
	src, err := mysql.SnapshotSource(cfg, req.Connector)
	if err == nil {
		var sig *snapshotAccepted
		s, off, perr := mysql.RequestSnapshot(ctx, c, cfg, src, req.Tables, by)
		if perr == nil {
			sig = &snapshotAccepted{Request: s.ID, Connector: src.Name, Tables: s.Tables, Offset: off,
				Topic: event.Topics{Pipeline: cfg.Name, Source: src.Name}.Signal()}
			return sig, nil
		}
		err = perr
	}
	if errors.Is(err, mysql.ErrBadSnapshotRequest) {
		return nil, fmt.Errorf("%w: %w", admin.ErrBadRequest, err)
	}
	return nil, err
}

// snapshotHandler serves POST /snapshot of a `sluice run` process.
func snapshotHandler(cfg *config.Config, c *kafka.Client) admin.SnapshotFunc {
	return func(ctx context.Context, req admin.SnapshotRequest) (any, error) {
		return requestSnapshot(ctx, cfg, c, req, "admin")
	}
}
