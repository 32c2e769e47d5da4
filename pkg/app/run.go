package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/connectors/mysql"
	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// Version is the sluice version.
var Version = mysql.Version

func newRunCmd(g *globalFlags, stderr io.Writer) *cobra.Command {
	var file, adminAddr string
	var names []string
	cmd := &cobra.Command{
		Use:   "run --config FILE [--connector NAME]... [--admin ADDR]",
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
			return run(cmd.Context(), cfg, names, log)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "config file (YAML)")
	cmd.Flags().StringArrayVar(&names, "connector", nil, "run only this connector (repeatable)")
	cmd.Flags().StringVar(&adminAddr, "admin", "", "admin HTTP address, overrides admin.listen")
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

func run(ctx context.Context, cfg *config.Config, names []string, log *slog.Logger) error {
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
	client := kafka.NewClient(brokers, cfg.Kafka.ReplicationFactor, cfg.Kafka.MaxMessageBytes)
	env := connector.Env{Config: cfg, Kafka: client, Metrics: m, Logger: log}
	sup := &supervisor{env: env, log: log, ready: map[string]func() error{}}
	srv, err := admin.Listen(cfg.Admin.Listen, m.Registry, sup.readiness)
	if err != nil {
		return err
	}
	log.Info("sluice running", "config", cfg.Path, "brokers", brokers, "admin", srv.Addr(), "connectors", len(selected))
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(gctx)
	g.Go(func() error { return srv.Serve(gctx) })
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
	b, err := kafka.StartEmbedded(kafka.EmbeddedConfig{
		Listen: e.Listen, DataDir: e.DataDir, SyncWrites: e.SyncWrites == nil || *e.SyncWrites,
		MaxMessageBytes: cfg.Kafka.MaxMessageBytes,
	})
	if err != nil {
		return nil, err
	}
	log.Info("embedded broker started", "listen", b.Addr(), "data_dir", e.DataDir)
	return b, nil
}

// supervisor runs connectors, restarting them after retryable errors.
type supervisor struct {
	env   connector.Env
	log   *slog.Logger
	mu    sync.Mutex
	ready map[string]func() error
}

func (s *supervisor) readiness() map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]error, len(s.ready))
	for n, f := range s.ready {
		out[n] = f()
	}
	return out
}

func (s *supervisor) setReady(name string, f func() error) {
	s.mu.Lock()
	s.ready[name] = f
	s.mu.Unlock()
}

func (s *supervisor) run(ctx context.Context, cfg *config.Connector) error {
	factory := connectors.Builtin[cfg.Type]
	if factory == nil {
		return fmt.Errorf("connector %s: unknown type %q", cfg.Name, cfg.Type)
	}
	log := s.log.With("connector", cfg.Name)
	up := s.env.Metrics.ConnectorUp.WithLabelValues(s.env.Config.Name, cfg.Name)
	backoff := time.Second
	for {
		c, err := factory(cfg, s.env)
		if err != nil {
			return fmt.Errorf("connector %s: %w", cfg.Name, err)
		}
		s.setReady(cfg.Name, c.Ready)
		up.Set(1)
		started := time.Now()
		err = c.Run(ctx)
		up.Set(0)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("stopped without an error")
		}
		s.setReady(cfg.Name, func() error { return err })
		if connector.IsFatal(err) {
			return fmt.Errorf("connector %s: %w", cfg.Name, err)
		}
		s.env.Metrics.Errors.WithLabelValues(s.env.Config.Name, cfg.Name, "run").Inc()
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		log.Error("connector failed; restarting from its checkpoint", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
