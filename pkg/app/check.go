package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/metrics"
)

// Exit codes of sluice check.
const (
	CheckReady    = 0 // nothing to fix (warnings allowed)
	CheckFix      = 1 // at least one error finding: something must be fixed
	CheckCouldNot = 2 // no error, but something could not be checked
)

// checkTimeout bounds the whole check: a server that accepts connections
// but never answers must not hang it.
const checkTimeout = 2 * time.Minute

// Pseudo connector names of findings that belong to no connector.
const (
	checkConfig = "(config)"
	checkKafka  = "(kafka)"
)

const checkLong = `Checks, without starting anything, that a config file is ready to run:
the file itself; every database and broker answers; on each mysql-source
log_bin ON, binlog_format ROW, binlog_row_image FULL, server_id unused,
binlog retention, the user's grants and the selected tables (they exist and
have primary keys); on each mysql-sink read_only OFF and the grants on the
target databases and checkpoint_db; Kafka's brokers, or for the embedded
broker its listen address and data_dir.

One line per finding: severity, connector, what was checked, what was found,
and the fix (the SQL statement or the my.cnf line). Passwords are never shown.

Exit status:
  0  ready: no errors (warnings allowed)
  1  something must be fixed: an error finding, including an invalid config
     file (its problems are listed like other findings)
  2  no errors, but something could not be checked: a server or broker was
     unreachable, the config file could not be read, a --connector name or a
     flag is wrong`

func newCheckCmd(g *globalFlags, stdout io.Writer) *cobra.Command {
	var file, format string
	var names []string
	cmd := &cobra.Command{
		Use:   "check --config FILE [--connector NAME]... [--format text|json]",
		Short: "Check, before starting, that the servers and brokers of a config file are set up for sluice",
		Long:  checkLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return &ExitCode{Code: CheckCouldNot, Err: errors.New("--config FILE is required")}
			}
			if format != "text" && format != "json" {
				return &ExitCode{Code: CheckCouldNot, Err: fmt.Errorf("--format %q: use text or json", format)}
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return &ExitCode{Code: CheckCouldNot, Err: err}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), checkTimeout)
			defer cancel()
			findings, err := check(ctx, g.reg, file, names, log)
			if err != nil {
				return &ExitCode{Code: CheckCouldNot, Err: err}
			}
			code := checkExitCode(findings)
			if err := writeFindings(stdout, format, file, findings, code); err != nil {
				return &ExitCode{Code: CheckCouldNot, Err: err}
			}
			if code != CheckReady {
				return &ExitCode{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "config file (YAML)")
	cmd.Flags().StringArrayVar(&names, "connector", nil, "check only this connector (repeatable); Kafka is always checked")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	// --config is checked in RunE, not with MarkFlagRequired, so that its
	// absence exits 2 like every other usage error.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &ExitCode{Code: CheckCouldNot, Err: err} })
	return cmd
}

// check loads file and runs every check concurrently. It returns the
// findings in a stable order: the config file, Kafka, then the connectors
// in file order. An error means the check could not start (an unknown
// --connector); an unreadable or invalid file is reported as findings.
func check(ctx context.Context, reg connector.Registry, file string, names []string, log *slog.Logger) ([]connector.Finding, error) {
	cfg, err := config.Load(file, reg.Kinds())
	if err == nil {
		err = connector.Prepare(cfg)
	}
	if err != nil {
		return configFindings(err), nil
	}
	selected, err := selectConnectors(cfg, names)
	if err != nil {
		return nil, err
	}
	parts := make([][]connector.Finding, len(selected)+1)
	var wg sync.WaitGroup
	wg.Go(func() { parts[0] = append(secretFindings(cfg), checkKafkaSetup(ctx, cfg)...) })
	// The pipeline's Kafka (the embedded broker's address when it has no
	// brokers): a source asks it whether it runs already.
	env := connector.Env{Config: cfg, Metrics: metrics.New(), Logger: log, Kafka: pipelineClient(cfg)}
	for i, c := range selected {
		wg.Go(func() { parts[i+1] = checkConnector(ctx, reg, c, env) })
	}
	wg.Wait()
	var out []connector.Finding
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// configFindings turns a config.Load error into findings: each problem of
// an invalid file is an error; an unreadable file could not be checked.
func configFindings(err error) []connector.Finding {
	var errs config.Errors
	if !errors.As(err, &errs) {
		return []connector.Finding{{Connector: checkConfig, Severity: connector.SeverityUnknown,
			Subject: "config file", Message: strings.TrimPrefix(err.Error(), "config: "), Fix: "pass a readable file with --config"}}
	}
	out := make([]connector.Finding, len(errs))
	for i, fe := range errs {
		// The file and line become the subject; the message keeps the key path.
		subject := fe.File
		if fe.Line > 0 {
			subject = fmt.Sprintf("%s:%d", fe.File, fe.Line)
		}
		fe.File, fe.Line = "", 0
		out[i] = connector.Finding{Connector: checkConfig, Severity: connector.SeverityError, Subject: subject, Message: fe.Error()}
	}
	return out
}

// checkConnector builds the connector (no I/O) and runs its Check.
func checkConnector(ctx context.Context, reg connector.Registry, c *config.Connector, env connector.Env) []connector.Finding {
	bad := func(sev connector.Severity, msg string) []connector.Finding {
		return []connector.Finding{{Connector: c.Name, Severity: sev, Subject: "connector " + c.Name, Message: msg}}
	}
	t, ok := reg[c.Type]
	if !ok {
		return bad(connector.SeverityError, fmt.Sprintf("unknown type %q", c.Type))
	}
	conn, err := t.New(c, env)
	if err != nil {
		return bad(connector.SeverityError, err.Error())
	}
	ch, ok := conn.(connector.Checker)
	if !ok {
		return bad(connector.SeverityWarn, fmt.Sprintf("type %s has no checks", c.Type))
	}
	return ch.Check(ctx)
}

// checkExitCode maps findings to the exit status: any error 1, else any
// unknown 2, else 0.
func checkExitCode(findings []connector.Finding) int {
	code := CheckReady
	for _, f := range findings {
		switch f.Severity {
		case connector.SeverityError:
			return CheckFix
		case connector.SeverityUnknown:
			code = CheckCouldNot
		}
	}
	return code
}

// checkReport is the --format json document.
type checkReport struct {
	Config   string              `json:"config"`
	Ready    bool                `json:"ready"`
	ExitCode int                 `json:"exit_code"`
	Findings []connector.Finding `json:"findings"`
}

// writeFindings prints the findings as text (one line each, then a
// summary) or as one JSON document.
func writeFindings(w io.Writer, format, file string, findings []connector.Finding, code int) error {
	if format == "json" {
		if findings == nil {
			findings = []connector.Finding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(checkReport{Config: file, Ready: code == CheckReady, ExitCode: code, Findings: findings})
	}
	width := 0
	counts := map[connector.Severity]int{}
	for _, f := range findings {
		width = max(width, len(f.Connector))
		counts[f.Severity]++
	}
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "%-7s %-*s  %s: %s", strings.ToUpper(string(f.Severity)), width, f.Connector, f.Subject, f.Message)
		if f.Fix != "" {
			b.WriteString("; fix: " + f.Fix)
		}
		b.WriteByte('\n')
	}
	verdict := map[int]string{CheckReady: "ready", CheckFix: "not ready, fix the errors above", CheckCouldNot: "could not check everything"}[code]
	fmt.Fprintf(&b, "sluice check: %s (%s, %d unknown, %s, %d ok); exit %d\n", verdict,
		plural(counts[connector.SeverityError], "error"), counts[connector.SeverityUnknown],
		plural(counts[connector.SeverityWarn], "warning"), counts[connector.SeverityOK], code)
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
