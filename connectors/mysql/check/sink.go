package check

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Sink is the check of one mysql-sink.
type Sink struct {
	cfg    *sink.Config
	env    connector.Env
	routes []config.Route
}

// NewSink returns the check of the mysql-sink c of env.Config.
func NewSink(c *sink.Config, env connector.Env) *Sink {
	return &Sink{cfg: c, env: env, routes: c.Routes}
}

var _ connector.Checker = (*Sink)(nil)

// Check implements connector.Checker: it verifies that the replica answers,
// accepts writes (read_only), and that the user holds the privileges the
// sink uses: on every target database SELECT, INSERT, UPDATE, DELETE,
// ALTER, DROP and INDEX (to replay the source's DDL; and CREATE when
// create_tables is on), and on checkpoint_db CREATE, SELECT,
// INSERT, UPDATE (the sink creates the database and its sluice_offsets
// table). Target databases are those the source's table patterns name, or,
// for patterns with wildcards in the database part, those the source server
// has matching tables in (Check then reads the source's table list).
func (s *Sink) Check(ctx context.Context) []connector.Finding {
	c := &dbconn.Checker{Name: s.cfg.Name}
	db := c.Connect(ctx, s.cfg.DSN, true)
	if db == nil {
		return c.Findings
	}
	defer db.Close()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		c.Add(connector.SeverityUnknown, c.On("connect"), fmt.Sprintf("cannot query: %v", err), "")
		return c.Findings
	}
	c.Add(connector.SeverityOK, c.On("connect"), version, "")
	g, err := dbconn.ReadGrants(ctx, db)
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("grants"), fmt.Sprintf("cannot read them: %v", err), "")
	}
	checkReadOnly(ctx, c, db, g)
	if s.cfg.Workers > 1 {
		checkXA(ctx, c, db, s.cfg.Workers)
	}
	if g == nil {
		return c.Findings
	}
	sev := connector.SeverityError
	if len(g.Roles) > 0 {
		sev = connector.SeverityWarn
	}
	dml := []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
	if s.cfg.CreateTables == nil || *s.cfg.CreateTables {
		dml = append(dml, "CREATE")
	}
	dml = append(dml, "ALTER", "DROP", "INDEX") // DDL replayed from the source
	targets := s.targetDBs(ctx, c)
	type need struct {
		db, why string
		privs   []string
	}
	var needs []need
	for _, d := range targets {
		needs = append(needs, need{d, "target database", dml})
	}
	needs = append(needs, need{s.cfg.CheckpointDB, "checkpoint_db", []string{"CREATE", "SELECT", "INSERT", "UPDATE"}})
	for _, n := range needs {
		subject := c.On(fmt.Sprintf("grants of %s on %s %s", g.User, n.why, n.db))
		if miss := g.Missing(n.privs, n.db, ""); len(miss) > 0 {
			c.Add(sev, subject, "missing "+strings.Join(miss, ", ")+g.RolesNote(), g.GrantSQL(miss, dbconn.QuoteIdent(n.db)+".*"))
		} else {
			c.Add(connector.SeverityOK, subject, strings.Join(n.privs, ", "), "")
		}
	}
	return c.Findings
}

// checkReadOnly: a read_only replica refuses the sink's writes, unless the
// user may bypass it (SUPER on MySQL, READ ONLY ADMIN on MariaDB); a
// super_read_only one refuses everybody.
func checkReadOnly(ctx context.Context, c *dbconn.Checker, db *sql.DB, g *dbconn.Grants) {
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only')")
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("read_only"), fmt.Sprintf("cannot read it: %v", err), "")
		return
	}
	defer rows.Close()
	vars := map[string]bool{}
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			c.Add(connector.SeverityUnknown, c.On("read_only"), fmt.Sprintf("cannot read it: %v", err), "")
			return
		}
		vars[name] = strings.EqualFold(v, "ON") || v == "1"
	}
	switch {
	case vars["super_read_only"]:
		c.Add(connector.SeverityError, c.On("super_read_only"), "is ON: the replica refuses every write",
			"SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF; and my.cnf [mysqld] super_read_only=OFF, read_only=OFF")
	case vars["read_only"] && g != nil && (g.Has("SUPER", "", "") || g.Has("READ ONLY ADMIN", "", "")):
		c.Add(connector.SeverityWarn, c.On("read_only"), "is ON; the sink can write only because its user bypasses read_only (SUPER or READ ONLY ADMIN)",
			"SET GLOBAL read_only = OFF; and my.cnf [mysqld] read_only=OFF, unless read_only guards the replica from other writers")
	case vars["read_only"]:
		c.Add(connector.SeverityError, c.On("read_only"), "is ON: the replica refuses the sink's writes",
			"SET GLOBAL read_only = OFF; and my.cnf [mysqld] read_only=OFF")
	default:
		c.Add(connector.SeverityOK, c.On("read_only"), "OFF", "")
	}
}

// targetDBs returns the replica databases the sink writes to, sorted: the
// literal database parts of the source's patterns and, when a pattern has
// wildcards in its database part, the databases of the source's matching
// tables, mapped by the sink's routes (plus every database a route names).
// What cannot be resolved is recorded as a warning.
func (s *Sink) targetDBs(ctx context.Context, c *dbconn.Checker) []string {
	src := s.env.Config.Connector(s.cfg.Source)
	if src == nil {
		c.Add(connector.SeverityError, "source "+s.cfg.Source, "names no connector in the file", "set source: to a mysql-source connector")
		return nil
	}
	set := map[string]bool{}
	var globs []string
	for _, p := range sink.SourceTables(src) {
		d, _, _ := strings.Cut(p, ".")
		if catalog.IsGlob(d) {
			globs = append(globs, p)
		} else {
			set[d] = true
		}
	}
	if len(globs) > 0 {
		sc := &dbconn.Checker{Name: s.cfg.Name}
		if sdb := sc.Connect(ctx, src.DSN, false); sdb == nil {
			c.Add(connector.SeverityWarn, "target databases of "+strings.Join(globs, ", "),
				"not checked: the source server, which lists them, cannot be reached", "")
		} else {
			tables, err := catalog.ListTables(ctx, sdb, catalog.Filter(globs))
			sdb.Close()
			if err != nil {
				c.Add(connector.SeverityWarn, "target databases of "+strings.Join(globs, ", "), fmt.Sprintf("not checked: %v", err), "")
			}
			for _, t := range tables {
				set[t[0]] = true
			}
		}
	}
	routed := map[string]bool{} // routes send tables elsewhere
	for d := range set {
		routed[sink.RouteDB(s.routes, d)] = true
	}
	for _, r := range s.cfg.Routes {
		if d, _, _ := strings.Cut(r.To, "."); d != "*" {
			routed[d] = true
		}
	}
	out := make([]string, 0, len(routed))
	for d := range routed {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// checkXA: workers > 1 apply as XA branches and read XA RECOVER at start
// (workers.go), which MySQL allows only with XA_RECOVER_ADMIN.
func checkXA(ctx context.Context, c *dbconn.Checker, db *sql.DB, workers int) {
	subject := c.On(fmt.Sprintf("XA RECOVER (workers: %d)", workers))
	rows, err := db.QueryContext(ctx, "XA RECOVER")
	if err != nil {
		c.Add(connector.SeverityError, subject, fmt.Sprintf("refused: %v", err),
			"GRANT XA_RECOVER_ADMIN ON *.* TO the sink's user (MySQL), or set workers: 1")
		return
	}
	rows.Close()
	c.Add(connector.SeverityOK, subject, "allowed", "")
}
