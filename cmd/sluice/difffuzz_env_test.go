package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/difffuzz"
	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// fuzzEnv is the differential fuzzer's setup: a source, its native
// MariaDB replica (the oracle) and sluice's replica, with sluice capturing
// the fuzzed databases (fz*.*) into it.
type fuzzEnv struct {
	t                   *testing.T
	src, native, replic *mariadbtest.Server
	sdb, ndb, rdb       *sql.DB
	p                   *e2e.Proc // nil until started
	admin               string
	trial               int // replays made by the minimizer, for fresh data dirs
	mark                int // the round marker's last value
}

// pseudo-statements that the history records so replays follow the same
// path (snapshot at start, schema history read back at a restart).
const (
	classStart   = "sluice_start"
	classRestart = "sluice_restart"
)

func newFuzzEnv(t *testing.T) *fuzzEnv {
	e := &fuzzEnv{t: t, src: mariadbtest.Start(t, mariadbtest.Options{}), native: mariadbtest.Start(t, mariadbtest.Options{}),
		replic: mariadbtest.Start(t, mariadbtest.Options{})}
	e.sdb, e.ndb, e.rdb = e.src.DB(t), e.native.DB(t), e.replic.DB(t)
	if err := e.native.ReplicateFrom(e2e.CtxTimeout(t, 30*time.Second), e.src); err != nil {
		t.Fatal(err)
	}
	return e
}

// setup is the first statement of every history: the marker table and
// the database outside the selection.
func setupStmt() difffuzz.Stmt {
	return difffuzz.Stmt{Class: "setup", SQL: []string{
		"CREATE DATABASE " + difffuzz.Q(difffuzz.MarkDB),
		"CREATE TABLE " + difffuzz.QT(difffuzz.MarkDB, "m") + " (id INT PRIMARY KEY, n INT)",
		"CREATE DATABASE " + difffuzz.Q(difffuzz.Other),
		"CREATE DATABASE " + difffuzz.Q(difffuzz.Prefix+"_a"),
	}}
}

// start starts sluice with a fresh config and data directory.
func (e *fuzzEnv) start() {
	t := e.t
	dir := t.TempDir()
	cfg, admin := e2e.WriteConfig(t, dir, e.src, e.replic, false)
	e2e.EditConfig(t, cfg, `    tables: ["shop.*"]`+"\n", `    tables: ["`+difffuzz.Prefix+`*.*"]`+"\n")
	e.admin = admin
	args := []string{"run", "--config", cfg}
	if os.Getenv("SLUICE_FUZZ_DEBUG") != "" {
		args = append(args, "--log-level", "debug")
	}
	e.p = e2e.StartProc(t, fmt.Sprintf("sluice-%d.log", e.trial), args...)
	e.waitReady()
}

// waitReady waits until sluice says it is ready (snapshot done, streaming)
// or has stopped, so a replay meets the same path as the run it repeats.
func (e *fuzzEnv) waitReady() {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if exited, _ := e.p.Exited(); exited {
			return
		}
		if resp, err := http.Get("http://" + e.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// restart stops sluice (SIGTERM) and starts it again on the same data.
func (e *fuzzEnv) restart() {
	if e.p == nil {
		return
	}
	if err := e.p.Stop(); err != nil {
		e.t.Logf("sluice stop: %v", err)
	}
	e.p.Start()
	e.waitReady()
}

// sync writes a new round marker on the source and waits until both
// replicas have it. It returns "" or why sluice did not get there: it
// stopped, or it stalled.
func (e *fuzzEnv) sync(timeout time.Duration) string {
	t := e.t
	e.mark++
	if _, err := e.sdb.Exec("REPLACE INTO "+difffuzz.QT(difffuzz.MarkDB, "m")+" VALUES (1, ?)", e.mark); err != nil {
		t.Fatalf("round marker: %v", err)
	}
	if err := e.native.WaitReplicated(e2e.CtxTimeout(t, 2*time.Minute), e.src); err != nil {
		t.Fatalf("the oracle failed (native replication): %v", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		var n int
		err := e.rdb.QueryRow("SELECT n FROM " + difffuzz.QT(difffuzz.MarkDB, "m") + " WHERE id = 1").Scan(&n)
		if err == nil && n == e.mark {
			return ""
		}
		if exited, _ := e.p.Exited(); exited {
			return "stopped: " + lastError(e.p.Log())
		}
		if time.Now().After(deadline) {
			return "stalled"
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// quarantined returns the tables sluice reports quarantined, keyed as
// difffuzz.Compare wants them, with their reasons.
func (e *fuzzEnv) quarantined() map[string]string {
	out := map[string]string{}
	sts, err := e2e.Statuses(e.admin)
	if err != nil {
		e.t.Fatalf("sluice /status: %v", err)
	}
	for _, c := range sts {
		for _, q := range c.Quarantined {
			if q.Fix == "" || q.Reason == "" {
				e.t.Errorf("%s quarantines %s without a reason and a fix: %+v", c.Name, q.Table, q)
			}
			out[q.Table] = c.Name + " " + q.Kind + ": " + q.Reason
		}
	}
	return out
}

// compare compares the two replicas after a sync. When they differ it
// looks again once sluice's status has been refreshed (every 2 s), for a
// table quarantined just now.
func (e *fuzzEnv) compare(st *difffuzz.Stats) []difffuzz.Divergence {
	if divs := e.ddlQuarantinesEnd(20 * time.Second); len(divs) > 0 {
		return divs
	}
	var divs []difffuzz.Divergence
	for try := 0; try < 2; try++ {
		if try > 0 {
			time.Sleep(2500 * time.Millisecond)
		}
		q := e.quarantined()
		var n int
		var err error
		divs, n, err = difffuzz.Compare(context.Background(), e.ndb, e.rdb, q)
		if err != nil {
			e.t.Fatalf("compare the replicas: %v", err)
		}
		if len(divs) == 0 || try == 1 {
			st.Compared += n
			for name, why := range q {
				st.Quarantine(name, why)
			}
			break
		}
	}
	return divs
}

// ddlQuarantinesEnd waits, after a sync, until no table is quarantined
// for a DDL: such a quarantine lasts until the reader has caught up and
// read the table back from the server, so one that outlives the wait is a
// stall, reported as a divergence of the table, not left out of the
// comparison. A row the replica rejected (kind rejected_row) is a
// divergence at once.
func (e *fuzzEnv) ddlQuarantinesEnd(wait time.Duration) []difffuzz.Divergence {
	deadline := time.Now().Add(wait)
	for {
		var divs []difffuzz.Divergence
		for name, why := range e.quarantined() {
			f := strings.Fields(why)
			switch {
			case len(f) > 1 && f[1] == "ddl:":
				divs = append(divs, difffuzz.Divergence{Table: name, What: "quarantine for a DDL", Want: "ended once caught up", Got: why})
			case len(f) > 1 && f[1] == "rejected_row:":
				// The replica has the source's definition, so a row the
				// source took and the replica refuses is sluice's fault.
				return []difffuzz.Divergence{{Table: name, What: "row rejected by the replica", Want: "applied", Got: why}}
			}
		}
		if len(divs) == 0 || time.Now().After(deadline) {
			return divs
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// reset stops sluice and drops every fuzzed database on the source (the
// native replica follows) and on sluice's replica, with sluice's
// checkpoint database, for a replay from nothing.
func (e *fuzzEnv) reset() {
	t := e.t
	if e.p != nil {
		if exited, _ := e.p.Exited(); !exited {
			e.p.Kill()
		}
		e.p = nil
	}
	for _, db := range []*sql.DB{e.sdb, e.rdb} {
		rows, err := db.Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? OR SCHEMA_NAME IN (?, 'sluice')", difffuzz.Prefix+"%", difffuzz.Other)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		conn, err := db.Conn(context.Background()) // one session: foreign keys across the databases must not stop the drops
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), "SET SESSION foreign_key_checks = 0"); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if _, err := conn.ExecContext(context.Background(), "DROP DATABASE "+difffuzz.Q(n)); err != nil {
				t.Fatalf("DROP DATABASE %s: %v", difffuzz.Q(n), err)
			}
		}
		conn.Close()
	}
	if err := e.native.WaitReplicated(e2e.CtxTimeout(t, time.Minute), e.src); err != nil {
		t.Fatalf("the oracle failed (native replication): %v", err)
	}
	e.trial++
}

// outcome runs a history from nothing and returns its failure signature:
// "" when the replicas end equal, else "stopped", "stalled" or the first
// divergence's table and kind.
func (e *fuzzEnv) outcome(history []difffuzz.Stmt) string {
	e.reset()
	ctx := context.Background()
	for _, s := range history {
		switch s.Class {
		case classStart:
			if e.p == nil {
				e.start()
			}
		case classRestart:
			e.restart()
		default:
			_ = difffuzz.Exec(ctx, e.sdb, s) // as in the original run, refused statements stay refused
		}
	}
	if e.p == nil {
		e.start()
	}
	if why := e.sync(40 * time.Second); why != "" {
		return why
	}
	if divs := e.compare(difffuzz.NewStats()); len(divs) > 0 {
		return signature(divs[0])
	}
	return ""
}

func signature(d difffuzz.Divergence) string { return d.Table + " " + d.What }

var digitsRe = regexp.MustCompile(`[0-9]+`)

// lastError returns the start of the error sluice exited with, numbers
// left out, to tell one stop from another across replays.
func lastError(log string) string {
	i := strings.LastIndex(log, "\nsluice: ")
	if i < 0 {
		return "(no error line)"
	}
	line, _, _ := strings.Cut(log[i+1:], "\n")
	line = digitsRe.ReplaceAllString(line, "N")
	if len(line) > 90 {
		line = line[:90]
	}
	return line
}
