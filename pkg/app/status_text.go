package app

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

// writeStatusText prints the report as the processes, then one table line
// per connector.
func writeStatusText(w io.Writer, rep *StatusReport) {
	fmt.Fprintf(w, "pipeline %s, %s\n", rep.Pipeline, rep.Time.Format(time.RFC3339))
	if rep.KafkaError != "" {
		fmt.Fprintf(w, "status topic unreadable: %s\n", rep.KafkaError)
	}
	for _, p := range rep.Processes {
		runs := strings.Join(p.Runs, ",")
		switch {
		case p.Reachable:
			fmt.Fprintf(w, "process %s: host %s pid %d, sluice %s, up %s, runs %s\n", p.Admin, p.Host, p.PID,
				p.Version, rep.Time.Sub(p.Started).Round(time.Second), runs)
		case !p.Announced.IsZero():
			fmt.Fprintf(w, "process %s: UNREACHABLE (%s); last announced %s ago by host %s pid %d, runs %s\n", p.Admin,
				p.Error, rep.Time.Sub(p.Announced).Round(time.Second), p.Host, p.PID, runs)
		default:
			fmt.Fprintf(w, "process %s (%s): no answer (%s)\n", p.Admin, p.Via, p.Error)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTOR\tTYPE\tSTATE\tPOSITION / OFFSETS\tLAG\tROWS/S\tLAST ERROR")
	for i := range rep.Connectors {
		c := &rep.Connectors[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n", c.Name, c.Type, stateCell(c), positionCell(&c.Status),
			lagCell(&c.Status), c.RowsPerSecond, errorCell(&c.Status))
	}
	tw.Flush()
	for i := range rep.Connectors {
		writeQuarantined(w, rep.Connectors[i].Name, rep.Connectors[i].Quarantined)
	}
}

// writeQuarantined prints one block per table a connector holds back:
// what went wrong and what to do.
func writeQuarantined(w io.Writer, name string, qs []connector.QuarantinedTable) {
	for _, q := range qs {
		state := "QUARANTINED"
		if q.Resyncing {
			state = "QUARANTINED, being copied again"
		}
		fmt.Fprintf(w, "\n%s: table %s %s since %s (%s at %s; %d changes held back)\n  reason: %s\n  fix: %s\n",
			name, q.Table, state, q.Since.Format(time.RFC3339), q.Kind, q.Where, q.Held, q.Reason, q.Fix)
	}
}

func stateCell(c *ConnectorReport) string {
	s := c.State
	if c.Stale {
		s = fmt.Sprintf("STALE(%s, %s ago)", c.State, time.Duration(c.AgeSeconds*float64(time.Second)))
	}
	if c.Restarts > 0 {
		s += fmt.Sprintf(" restarts=%d", c.Restarts)
	}
	return s
}

func positionCell(s *connector.Status) string {
	if sn := s.Snapshot; sn != nil && sn.State == "running" {
		out := fmt.Sprintf("snapshot %d/%d rows", sn.RowsDone, sn.RowsTotal)
		if sn.Table != "" {
			out += " (" + sn.Table + ")"
		}
		if sn.SecondsLeft != nil {
			out += fmt.Sprintf(", ~%s left", time.Duration(*sn.SecondsLeft*float64(time.Second)).Round(time.Second))
		}
		return out
	}
	if p := s.Position; p != nil {
		out := fmt.Sprintf("%s:%d", p.File, p.Pos)
		if p.GTID != "" {
			out += " gtid " + p.GTID
		}
		if p.ServerFile != "" && (p.ServerFile != p.File || p.ServerPos != p.Pos) {
			out += fmt.Sprintf(" (server %s:%d)", p.ServerFile, p.ServerPos)
		}
		return out
	}
	if len(s.Partitions) > 0 {
		var tx string
		var c, e int64
		n := 0
		for _, p := range s.Partitions {
			if strings.HasSuffix(p.Topic, ".transaction") && tx == "" {
				tx = fmt.Sprintf("tx %d/%d", p.Committed, p.End)
				continue
			}
			c, e, n = c+p.Committed, e+p.End, n+1
		}
		return fmt.Sprintf("%s, rows %d/%d in %d partitions", tx, c, e, n)
	}
	return "-"
}

func lagCell(s *connector.Status) string {
	if p := s.Position; p != nil {
		if p.BehindBytes < 0 {
			return "? behind"
		}
		return fmt.Sprintf("%s behind", byteSize(p.BehindBytes))
	}
	var msgs int64
	for _, p := range s.Partitions {
		msgs += p.Lag
	}
	out := "-"
	if len(s.Partitions) > 0 {
		out = fmt.Sprintf("%d msgs", msgs)
	}
	if s.ReplicationLagSeconds != nil {
		out += fmt.Sprintf(", %.1fs", *s.ReplicationLagSeconds)
	}
	return out
}

func errorCell(s *connector.Status) string {
	e := s.LastError
	if e == "" {
		if nr, ok := s.Details["not_ready"].(string); ok {
			e = "not ready: " + nr
		}
	}
	e, _, _ = strings.Cut(e, "\n")
	if len(e) > 100 {
		e = e[:97] + "..."
	}
	return e
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
