package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Main runs the sluice command line and returns the process exit code.
// Connectors are built from reg (connectors.Builtin in the sluice binary).
func Main(args []string, stdout, stderr io.Writer, reg connector.Registry) int {
	root := newRoot(stdout, stderr, reg)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		var ec *ExitCode
		if errors.As(err, &ec) {
			if ec.Err != nil {
				fmt.Fprintln(stderr, "sluice:", ec.Err)
			}
			return ec.Code
		}
		fmt.Fprintln(stderr, "sluice:", err)
		return 1
	}
	return 0
}

// ExitCode is returned by a command that exits with a code of its own (check:
// 1 when something must be fixed, 2 when the check could not run). Err, when
// set, is printed to stderr.
type ExitCode struct {
	Code int
	Err  error
}

func (e *ExitCode) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

func (e *ExitCode) Unwrap() error { return e.Err }

type globalFlags struct {
	logLevel  string
	logFormat string
	reg       connector.Registry // the connector types this binary knows
}

func newRoot(stdout, stderr io.Writer, reg connector.Registry) *cobra.Command {
	g := &globalFlags{reg: reg}
	root := &cobra.Command{
		Use:           "sluice",
		Short:         "Change data capture: MySQL/MariaDB binlog to Kafka to replica databases",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "text or json")
	root.AddCommand(newRunCmd(g, stderr), newBrokerCmd(g, stderr), newVersionCmd(stdout))
	root.AddCommand(newVerifyCmd(g, stdout, stderr))
	root.AddCommand(newStatusCmd(g, stdout, stderr))
	root.AddCommand(newSnapshotCmd(g, stdout, stderr))
	root.AddCommand(newCheckCmd(g, stdout))
	suggestFlags(root)
	return root
}

// suggestFlags makes an unknown flag's error name the closest flags of its
// command, as cobra names the closest command for an unknown one. It wraps
// each command's own flag error function (check's exits 2), children first so
// that none wraps its parent's wrapper again: call it once all commands are
// added.
func suggestFlags(c *cobra.Command) {
	for _, sub := range c.Commands() {
		suggestFlags(sub)
	}
	inner := c.FlagErrorFunc()
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return inner(c, withFlagSuggestion(c, err)) })
}

// withFlagSuggestion adds to an unknown flag error the flags that were
// likely meant, or where to find them; it returns other errors unchanged.
func withFlagSuggestion(c *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return err
	}
	typed := ne.GetSpecifiedName()
	if group := ne.GetSpecifiedShortnames(); len(group) > 1 {
		typed = group // -config: a long name after a single dash
	}
	if near := closestFlags(c, typed); len(near) > 0 {
		return fmt.Errorf("%w (did you mean --%s?)", err, strings.Join(near, " or --"))
	}
	return fmt.Errorf("%w (see %s --help)", err, c.CommandPath())
}

// closestFlags returns the names of c's visible flags that typed is likely a
// typo of. It asks cobra's SuggestionsFor, through a probe command with one
// subcommand per flag, so that flags and commands are matched by the same
// rule: an edit distance of at most 2 (cobra's default), or a prefix.
func closestFlags(c *cobra.Command, typed string) []string {
	probe := &cobra.Command{SuggestionsMinimumDistance: 2}
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Deprecated == "" {
			probe.AddCommand(&cobra.Command{Use: f.Name, Run: func(*cobra.Command, []string) {}})
		}
	})
	return probe.SuggestionsFor(typed)
}

func (g *globalFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", g.logFormat)
}

// load builds the logger and loads the config file named by --config.
func (g *globalFlags) load(stderr io.Writer, file string) (*slog.Logger, *config.Config, error) {
	log, err := g.logger(stderr)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(file, g.reg.Kinds())
	if err != nil {
		return nil, nil, err
	}
	if err := connector.Prepare(cfg); err != nil {
		return nil, nil, err
	}
	return log, cfg, nil
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(*cobra.Command, []string) { fmt.Fprintln(stdout, "sluice", Version) },
	}
}
