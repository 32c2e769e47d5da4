package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Exit codes of `sluice verify`.
const (
	verifyEqual   = 0
	verifyDiffers = 1
	verifyError   = 2
)

type verifyFlags struct {
	file      string
	sinks     []string
	tables    []string
	repair    bool
	chunkRows int
	maxWait   time.Duration
}

func newVerifyCmd(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify --config FILE [--connector SINK]... [--table db.table]... [--repair]",
		Short: "Compare each sink's replica with its source; exit 0 equal, 1 differs, 2 error",
		Long: "verify compares the tables of each mysql-sink's replica with its source in primary-key chunks,\n" +
			"with checksums computed by the databases, and names the rows that differ. It may run while\n" +
			"the pipeline runs: a difference is reported only once the sink has applied the source position\n" +
			"read after the source's rows, and the rows held still at the source meanwhile.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, cfg, err := g.load(stderr, f.file)
			if err != nil {
				return &ExitCode{Code: verifyError, Err: err}
			}
			return verifyCommand(cmd.Context(), g.reg, cfg, f, stdout, log)
		},
	}
	cmd.Flags().StringVar(&f.file, "config", "", "config file (YAML)")
	cmd.Flags().StringArrayVar(&f.sinks, "connector", nil, "verify only this mysql-sink (repeatable)")
	cmd.Flags().StringArrayVar(&f.tables, "table", nil, "verify only tables matching db.table, globs allowed (repeatable)")
	cmd.Flags().BoolVar(&f.repair, "repair", false, "rewrite the differing rows on the replica from the source")
	cmd.Flags().IntVar(&f.chunkRows, "chunk-rows", 0, "rows per checksummed chunk (default: verify.chunk_rows)")
	cmd.Flags().DurationVar(&f.maxWait, "max-wait", 0, "how long the sink may stand still while verify waits for it (default: verify.max_wait)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// verifyCommand verifies the chosen sinks one after the other and prints
// one line per table and a summary per sink. It returns an *ExitCode
// unless everything is equal.
func verifyCommand(ctx context.Context, reg connector.Registry, cfg *config.Config, f *verifyFlags, stdout io.Writer, log *slog.Logger) error {
	sinks, err := verifySinks(cfg, f.sinks)
	if err != nil {
		return &ExitCode{Code: verifyError, Err: err}
	}
	code := verifyEqual
	var firstErr error
	fail := func(err error) {
		code = verifyError
		if firstErr == nil {
			firstErr = err
		}
	}
	env := cliEnv(cfg, log) // its Kafka: for the source's seq base after a failover
	for _, s := range sinks {
		vs := verifySettings(s)
		opts := connector.VerifyOptions{Tables: f.tables, ChunkRows: vs.ChunkRows, MaxWait: vs.MaxWait,
			Repair: f.repair, Logger: log, Kafka: env.Kafka}
		if f.chunkRows > 0 {
			opts.ChunkRows = f.chunkRows
		}
		if f.maxWait > 0 {
			opts.MaxWait = f.maxWait
		}
		res, err := verifyOne(ctx, reg, env, s, opts)
		if res != nil {
			for _, t := range res.Tables {
				fmt.Fprintf(stdout, "%s %s\n", s.Name, t.String())
			}
			fmt.Fprintf(stdout, "%s: %s\n", s.Name, res.Summary())
			if e := res.Failed(); e != nil {
				fail(fmt.Errorf("sink %s: %w", s.Name, e))
			} else if res.Differs() && code == verifyEqual {
				code = verifyDiffers
			}
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: error: %v\n", s.Name, err)
			fail(err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if code == verifyEqual {
		return nil
	}
	return &ExitCode{Code: code, Err: firstErr}
}

// verifySinks returns the mysql-sinks named, or all of them.
func verifySinks(cfg *config.Config, names []string) ([]*config.Connector, error) {
	if len(names) == 0 {
		if len(cfg.Sinks()) == 0 {
			return nil, fmt.Errorf("%s has no mysql-sink connector to verify", cfg.Path)
		}
		return cfg.Sinks(), nil
	}
	picked, err := selectConnectors(cfg, names)
	if err != nil {
		return nil, err
	}
	for _, c := range picked {
		if !c.IsSink() {
			return nil, fmt.Errorf("--connector %s: a %s; verify compares mysql-sink replicas with their source", c.Name, c.Type)
		}
	}
	return picked, nil
}

// startVerifiers runs, in g, the periodic verify of every selected sink
// whose verify.every is set. A run's result goes to the verify metrics and
// the log; a failed run never stops the process. The loops end with ctx.
func startVerifiers(ctx context.Context, g *errgroup.Group, reg connector.Registry, env connector.Env, selected []*config.Connector) {
	for _, c := range selected {
		every := verifySettings(c).Every
		if every <= 0 {
			continue
		}
		g.Go(func() error {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-t.C:
				}
				periodicVerify(ctx, reg, env, c)
			}
		})
	}
}

// periodicVerify runs one verify of sink and exports its result.
func periodicVerify(ctx context.Context, reg connector.Registry, env connector.Env, sink *config.Connector) {
	m, pipeline := env.Metrics, env.Config.Name
	log := env.Logger.With("connector", sink.Name)
	start := time.Now()
	vs := verifySettings(sink)
	res, err := verifyOne(ctx, reg, env, sink, connector.VerifyOptions{
		ChunkRows: vs.ChunkRows, MaxWait: vs.MaxWait, Logger: env.Logger, Kafka: env.Kafka})
	if ctx.Err() != nil {
		return // stopping: an interrupted run says nothing
	}
	if err == nil {
		err = res.Failed()
	}
	m.VerifySeconds.WithLabelValues(pipeline, sink.Name).Observe(time.Since(start).Seconds())
	m.VerifyLastRun.WithLabelValues(pipeline, sink.Name).Set(float64(clock.Now().Unix()))
	result := "equal"
	if res != nil {
		differ := 0
		for _, t := range res.Tables {
			m.VerifyRowsCompared.WithLabelValues(pipeline, sink.Name, t.Table).Add(float64(t.Rows))
			for kind, n := range map[string]int64{"missing": t.Missing, "extra": t.Extra, "changed": t.Changed} {
				m.VerifyRowsDifferent.WithLabelValues(pipeline, sink.Name, t.Table, kind).Set(float64(n))
			}
			if t.Err == nil && !t.Equal() {
				differ++
				log.Warn("verify: table differs", "result", t.String())
			}
		}
		m.VerifyTablesDiffer.WithLabelValues(pipeline, sink.Name).Set(float64(differ))
		if differ > 0 {
			result = "differs"
		}
	}
	if err != nil {
		result = "error"
		log.Error("verify failed", "err", err, "not_advancing", errors.Is(err, connector.ErrSinkNotAdvancing))
	}
	m.VerifyRuns.WithLabelValues(pipeline, sink.Name, result).Inc()
	if res != nil {
		log.Info("verify finished", "result", result, "summary", res.Summary())
	}
}

// verifySettings returns the verify settings of c's config, zero when its
// type has none (verify then uses its defaults, and no periodic run starts).
func verifySettings(c *config.Connector) config.Verify {
	if vs, ok := c.Spec.(connector.VerifySettings); ok {
		return vs.VerifySettings()
	}
	return config.Verify{}
}

// verifyOne builds sink's connector (no I/O) and runs its Verify, when its
// type can be verified.
func verifyOne(ctx context.Context, reg connector.Registry, env connector.Env, sink *config.Connector, opts connector.VerifyOptions) (*connector.VerifyResult, error) {
	conn, err := build(reg, sink, env)
	if err != nil {
		return nil, err
	}
	v, ok := conn.(connector.Verifier)
	if !ok {
		return nil, fmt.Errorf("connector %s (type %s) cannot be verified", sink.Name, sink.Type)
	}
	return v.Verify(ctx, opts)
}
