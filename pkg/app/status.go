package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// StatusReport is what `sluice status` shows (and prints with --format json).
type StatusReport struct {
	Pipeline   string            `json:"pipeline"`
	Time       time.Time         `json:"time"`
	KafkaError string            `json:"kafka_error,omitempty"` // the status topic could not be read
	Processes  []ProcessReport   `json:"processes"`
	Connectors []ConnectorReport `json:"connectors"`
}

// ProcessReport is one sluice process that was announced or asked.
type ProcessReport struct {
	Admin     string    `json:"admin"`
	Via       string    `json:"via"` // how it was found: announced, admin.listen or --admin
	Reachable bool      `json:"reachable"`
	Error     string    `json:"error,omitempty"` // why /status did not answer
	Host      string    `json:"host,omitempty"`
	PID       int       `json:"pid,omitempty"`
	Version   string    `json:"version,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	Announced time.Time `json:"announced,omitzero"` // its newest announcement
	Runs      []string  `json:"runs,omitempty"`
}

// ConnectorReport is one connector of the config file: its status from the
// process running it, or, when that process did not answer, from its last
// announcement (Stale, with the announcement's age).
type ConnectorReport struct {
	connector.Status
	Process    string  `json:"process,omitempty"` // admin address of the process that runs or ran it
	Stale      bool    `json:"stale"`
	AgeSeconds float64 `json:"age_seconds,omitempty"` // of the announcement, when stale
}

// StateUnknown is the state of a connector that no process reported and
// none announced.
const StateUnknown = "unknown"

// ok reports whether the connector is known to be running now.
func (c *ConnectorReport) ok() bool { return !c.Stale && c.State == StateRunning }

func newStatusCmd(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var file, format string
	var admins []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status --config FILE [--admin ADDR]... [--format text|json]",
		Short: "Show where every connector stands, asking the running sluice processes",
		Long: "Reads the pipeline's status topic to find the sluice processes, asks each one's /status\n" +
			"(and admin.listen, and every --admin), and prints one line per connector. A process that does\n" +
			"not answer is shown from its last announcement, marked stale.\n" +
			"Exit 0 when every connector is running, 1 when any is not (failed, stale, unknown),\n" +
			"2 when neither Kafka nor any process could be reached.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return &ExitCode{Code: 2, Err: fmt.Errorf("--format %q: use text or json", format)}
			}
			log, cfg, err := g.load(stderr, file)
			if err != nil {
				return &ExitCode{Code: 2, Err: err}
			}
			rep, err := gatherStatus(cmd.Context(), log, cfg, admins, timeout)
			if format == "json" {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(rep)
			} else if err == nil { // else a table of unknowns would only hide the one line that says why
				writeStatusText(stdout, rep)
			}
			if err != nil {
				return &ExitCode{Code: 2, Err: err}
			}
			for i := range rep.Connectors {
				if !rep.Connectors[i].ok() {
					return &ExitCode{Code: 1}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "config file (YAML)")
	cmd.Flags().StringArrayVar(&admins, "admin", nil, "also ask the sluice process at this admin address (repeatable)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for Kafka and each process")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// gatherStatus builds the report. The error is non-nil only when neither
// Kafka nor any process could be reached; the report is filled either way.
// What failed is said in a few words (statusUnreachable); log gets each
// underlying error at debug level.
func gatherStatus(ctx context.Context, log *slog.Logger, cfg *config.Config, extra []string, timeout time.Duration) (*StatusReport, error) {
	rep := &StatusReport{Pipeline: cfg.Name, Time: clock.Now().UTC()}
	anns, kerr := readAnnouncements(ctx, cfg, timeout)
	if kerr != nil {
		brokers, key := statusBrokers(cfg)
		log.Debug("cannot read the status topic", "brokers", brokers, "err", kerr)
		rep.KafkaError = fmt.Sprintf("Kafka at %s (%s: %s)", strings.Join(brokers, ", "), key, reachReason(kerr, timeout))
	}
	// Addresses to ask: announced ones, then admin.listen and --admin.
	var addrs []string
	via := map[string]string{}
	add := func(a, how string) {
		if _, seen := via[a]; a != "" && !seen {
			via[a] = how
			addrs = append(addrs, a)
		}
	}
	for _, a := range sortedAnnouncements(anns) {
		add(a.Admin, "announced")
	}
	add(dialAddr(cfg.Admin.Listen), "admin.listen")
	for _, a := range extra {
		add(dialAddr(a), "--admin")
	}
	docs, errs := fetchStatuses(ctx, addrs, adminClient(cfg, timeout), cfg.Name)
	reachable := 0
	byProc := map[string]int{} // host/pid -> index in rep.Processes
	for _, a := range addrs {
		if d := docs[a]; d != nil {
			key := fmt.Sprintf("%s/%d", d.Host, d.PID)
			if _, dup := byProc[key]; dup {
				continue // the same process at another address
			}
			reachable++
			byProc[key] = len(rep.Processes)
			pr := ProcessReport{Admin: a, Via: via[a], Reachable: true, Host: d.Host, PID: d.PID, Version: d.Version, Started: d.Started}
			for _, c := range d.Connectors {
				pr.Runs = append(pr.Runs, c.Name)
			}
			rep.Processes = append(rep.Processes, pr)
			continue
		}
		log.Debug("no answer from a sluice process", "admin", a, "via", via[a], "err", errs[a])
		pr := ProcessReport{Admin: a, Via: via[a], Error: reachReason(errs[a], timeout)}
		for _, an := range anns {
			if an.Admin == a && an.Time.After(pr.Announced) {
				pr.Host, pr.PID, pr.Version, pr.Started, pr.Announced, pr.Runs = an.Host, an.PID, an.Version, an.Started, an.Time, an.Runs
			}
		}
		rep.Processes = append(rep.Processes, pr)
	}
	for i := range cfg.Connectors {
		rep.Connectors = append(rep.Connectors, connectorReport(&cfg.Connectors[i], addrs, docs, anns, rep.Time))
	}
	if kerr != nil && reachable == 0 {
		return rep, statusUnreachable(cfg, rep)
	}
	return rep, nil
}

// connectorReport picks the freshest status of c: from a process that
// answered (preferring one where it runs), else its announcement.
func connectorReport(c *config.Connector, addrs []string, docs map[string]*admin.ProcessStatus,
	anns map[string]*Announcement, now time.Time) ConnectorReport {
	var best *ConnectorReport
	for _, a := range addrs {
		d := docs[a]
		if d == nil {
			continue
		}
		for _, st := range d.Connectors {
			if st.Name != c.Name {
				continue
			}
			if best == nil || (best.State != StateRunning && st.State == StateRunning) {
				best = &ConnectorReport{Status: st, Process: a}
			}
		}
	}
	if best != nil {
		return *best
	}
	if an := anns[c.Name]; an != nil && len(an.Connectors) == 1 {
		return ConnectorReport{Status: an.Connectors[0], Process: an.Admin, Stale: true,
			AgeSeconds: max(now.Sub(an.Time), 0).Round(time.Second).Seconds()} // 0, not negative, after the clock stepped back
	}
	return ConnectorReport{Status: connector.Status{Name: c.Name, Type: c.Type, State: StateUnknown}}
}

// readAnnouncements reads the status topic to its end and returns the
// newest announcement per connector.
func readAnnouncements(ctx context.Context, cfg *config.Config, timeout time.Duration) (map[string]*Announcement, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	brokers, _ := statusBrokers(cfg)
	client := kafka.NewClient(brokers, cfg.Kafka.ReplicationFactor, cfg.Kafka.MaxMessageBytes, kafkaOpts(cfg)...)
	topic := event.StatusTopic(cfg.Name)
	out := map[string]*Announcement{}
	n, err := client.Partitions(ctx, topic)
	if err != nil || n == 0 {
		return out, err
	}
	first, end, err := client.Offsets(ctx, topic, 0)
	if err != nil || end <= first {
		return out, err
	}
	r, err := client.NewPartitionReader(ctx, topic, 0, first)
	if err != nil {
		return out, err
	}
	defer r.Close()
	for r.Next() < end {
		rec, err := r.Fetch(ctx)
		if err != nil {
			return out, err
		}
		var a Announcement
		if json.Unmarshal(rec.Value, &a) != nil || a.Pipeline != cfg.Name {
			continue // not ours; a newer sluice may write more fields
		}
		out[string(rec.Key)] = &a
	}
	return out, nil
}

func sortedAnnouncements(anns map[string]*Announcement) []*Announcement {
	out := make([]*Announcement, 0, len(anns))
	for _, a := range anns {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Admin < out[j].Admin })
	return out
}

// fetchStatuses asks every address's /status concurrently. A document of
// another pipeline counts as an error.
func fetchStatuses(ctx context.Context, addrs []string, hc *http.Client, pipeline string) (map[string]*admin.ProcessStatus, map[string]error) {
	docs := map[string]*admin.ProcessStatus{}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Go(func() {
			d, err := fetchStatus(ctx, hc, a)
			if err == nil && d.Pipeline != pipeline {
				err = fmt.Errorf("serves pipeline %q, not %q", d.Pipeline, pipeline)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[a] = err
			} else {
				docs[a] = d
			}
		})
	}
	wg.Wait()
	return docs, errs
}

func fetchStatus(ctx context.Context, hc *http.Client, addr string) (*admin.ProcessStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminScheme(hc)+addr+"/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/status answered %s", resp.Status)
	}
	var d admin.ProcessStatus
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return nil, fmt.Errorf("/status: %w", err)
	}
	return &d, nil
}

// dialAddr turns a listen address into one to connect to: an empty or
// unspecified host means this machine.
func dialAddr(listen string) string {
	h, p, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", p)
	}
	return listen
}
