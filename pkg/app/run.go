package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
	"github.com/sluice-cdc/sluice/pkg/version"
)

// Version is the sluice version.
var Version = version.Version

func newRunCmd(g *globalFlags, stderr io.Writer) *cobra.Command {
	var file, adminAddr string
	var names []string
	var pprof bool
	cmd := &cobra.Command{
		Use:   "run --config FILE [--connector NAME]... [--admin ADDR] [--pprof]",
		Short: "Run the connectors of a config file (all, or the named ones)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, cfg, err := g.load(stderr, file)
			if err != nil {
				return err
			}
			if adminAddr != "" {
				cfg.Admin.Listen = adminAddr
			}
			// No check that an admin listener exists: admin.listen defaults
			// to 127.0.0.1:9187 and Load refuses an empty one.
			return run(cmd.Context(), g.reg, cfg, names, pprof, log)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "config file (YAML)")
	cmd.Flags().StringArrayVar(&names, "connector", nil, "run only this connector (repeatable)")
	cmd.Flags().StringVar(&adminAddr, "admin", "", "admin HTTP address, overrides admin.listen")
	cmd.Flags().BoolVar(&pprof, "pprof", false, "serve Go profiles at /debug/pprof/ on the admin server (needing admin.token as a bearer token when one is set)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// selectConnectors returns the connectors to run, or an error naming the
// unknown ones.
func selectConnectors(cfg *config.Config, names []string) ([]*config.Connector, error) {
	if len(names) == 0 {
		out := make([]*config.Connector, len(cfg.Connectors))
		for i := range cfg.Connectors {
			out[i] = &cfg.Connectors[i]
		}
		return out, nil
	}
	var out []*config.Connector
	var unknown []string
	for _, n := range names {
		if c := cfg.Connector(n); c != nil {
			out = append(out, c)
		} else {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		var known []string
		for _, c := range cfg.Connectors {
			known = append(known, c.Name)
		}
		return nil, fmt.Errorf("--connector %v: not in %s (connectors there: %v)", unknown, cfg.Path, known)
	}
	return out, nil
}

// run runs the selected connectors; pprof adds /debug/pprof/ to the admin
// server, behind admin.token when the config has one.
func run(ctx context.Context, reg connector.Registry, cfg *config.Config, names []string, pprof bool, log *slog.Logger) error {
	selected, err := selectConnectors(cfg, names)
	if err != nil {
		return err
	}
	brokers := cfg.Kafka.Brokers
	if cfg.Embedded() {
		b, err := startEmbedded(cfg, log)
		if err != nil {
			return err
		}
		defer b.Close()
		brokers = []string{b.Addr()}
	}
	m := metrics.New()
	client := kafka.NewClient(brokers, cfg.Kafka.ReplicationFactor, cfg.Kafka.MaxMessageBytes, kafkaOpts(cfg)...)
	env := connector.Env{Config: cfg, Kafka: client, Metrics: m, Logger: log}
	sup := newSupervisor(reg, env, log, selected)
	srv, err := admin.Listen(cfg.Admin.Listen, m.Registry, sup.readiness)
	if err != nil {
		return err
	}
	if err := adminSecurity(cfg, srv); err != nil {
		return err
	}
	self := newProcess(cfg, srv.Addr(), sup)
	srv.HandleStatus(self.status)
	// POST /snapshot, allowed only with admin.token as a bearer token.
	srv.HandleSnapshot(snapshotHandler(reg, env), admin.BearerToken(cfg.Admin.Token))
	if pprof {
		var auth admin.AuthFunc // none: like the other read endpoints
		if cfg.Admin.Token != "" {
			auth = admin.BearerToken(cfg.Admin.Token)
		}
		srv.HandlePprof(auth)
		log.Info("profiles served", "path", "/debug/pprof/", "token_required", auth != nil)
	}
	defer self.announce(ctx, client, log)() // the last announcement, after the connectors stopped
	log.Info("sluice running", "config", cfg.Path, "brokers", brokers, "admin", srv.Addr(), "connectors", len(selected))
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(gctx)
	g.Go(func() error { return srv.Serve(gctx) })
	startVerifiers(gctx, g, reg, env, selected) // verify.every: periodic verify of the sinks run here
	go sup.watchKafka(gctx, client)             // readiness follows the broker (kafka_watch.go)
	for _, c := range selected {
		g.Go(func() error {
			err := sup.run(gctx, c)
			if err != nil {
				cancel()
			}
			return err
		})
	}
	err = g.Wait()
	log.Info("sluice stopped")
	return err
}

func startEmbedded(cfg *config.Config, log *slog.Logger) (*kafka.Embedded, error) {
	e := cfg.Kafka.Embedded
	ec := kafka.EmbeddedConfig{
		Listen: e.Listen, DataDir: e.DataDir, SyncWrites: e.SyncWrites == nil || *e.SyncWrites,
		MaxMessageBytes: cfg.Kafka.MaxMessageBytes,
	}
	if err := embeddedSecurity(cfg, &ec); err != nil {
		return nil, err
	}
	b, err := kafka.StartEmbedded(ec)
	if err != nil {
		return nil, err
	}
	log.Info("embedded broker started", "listen", b.Addr(), "data_dir", e.DataDir)
	return b, nil
}
