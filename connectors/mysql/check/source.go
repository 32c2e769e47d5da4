package check

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// Source is the check of one mysql-source: its config and where its
// pipeline runs.
type Source struct {
	cfg    *source.Config
	env    connector.Env
	topics event.Topics
	filter catalog.Filter
}

// NewSource returns the check of the mysql-source c of env.Config.
func NewSource(c *source.Config, env connector.Env) *Source {
	return &Source{cfg: c, env: env, topics: event.Topics{Pipeline: env.Config.Name, Source: c.Name}, filter: catalog.Filter(c.Tables)}
}

var _ connector.Checker = (*Source)(nil)

// Check implements connector.Checker: it verifies the source server's binlog
// settings, that server_id is free, binlog retention, the user's grants and
// the selected tables. It reads only; it holds no lock and starts no stream.
func (s *Source) Check(ctx context.Context) []connector.Finding {
	c := &dbconn.Checker{Name: s.cfg.Name}
	db := c.Connect(ctx, s.cfg.DSN, false)
	if db == nil {
		return c.Findings
	}
	defer db.Close()
	set, err := dbconn.ReadSettings(ctx, db)
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("server settings"), fmt.Sprintf("cannot read them: %v", err), "")
		return c.Findings
	}
	c.Add(connector.SeverityOK, c.On("connect"), fmt.Sprintf("%s, server_id %d", set.Version, set.ServerID), "")
	if msg := set.FlavorMismatch(c.Addr, s.cfg.Flavor); msg != "" {
		c.Add(connector.SeverityError, c.On("flavor"), msg, "flavor: "+set.Flavor())
	}
	for _, sc := range set.Checks() {
		if sc.OK {
			c.Add(connector.SeverityOK, c.On(sc.Setting), sc.Value, "")
		} else {
			c.Add(connector.SeverityError, c.On(sc.Setting), fmt.Sprintf("is %s, must be %s", sc.Value, sc.Want), sc.Fix)
		}
	}
	if set.ReplicaOf == "?" {
		c.Add(connector.SeverityWarn, c.On("replication status"), "cannot be read, so whether this server is a replica with log_slave_updates OFF (whose binlog lacks every change it replicates) is not checked",
			"give the user REPLICATION CLIENT (MariaDB 10.5+: SLAVE MONITOR)")
	}
	s.checkServerID(ctx, c, db, set)
	dbconn.CheckRetention(ctx, c, db)
	tables := s.checkTables(ctx, c, db)
	catalog.ForeignKeyFindings(ctx, c, db, s.filter)
	g, err := dbconn.ReadGrants(ctx, db)
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("grants"), fmt.Sprintf("cannot read them: %v", err), "")
	} else {
		s.checkGrants(c, g, set.Flavor(), tables)
	}
	return c.Findings
}

// checkServerID: the configured server_id must differ from the server's
// own and from every replica or binlog reader registered with the server.
func (s *Source) checkServerID(ctx context.Context, c *dbconn.Checker, db *sql.DB, set *dbconn.Settings) {
	id := s.cfg.ServerID
	subject := c.On("server_id " + strconv.FormatUint(uint64(id), 10))
	if id == set.ServerID {
		c.Add(connector.SeverityError, subject, "is the server's own @@server_id; the server would refuse the binlog reader",
			fmt.Sprintf("set server_id: to another number in connector %s (e.g. %d)", s.cfg.Name, id+1))
		return
	}
	replicas, err := dbconn.Replicas(ctx, db)
	if err != nil {
		c.Add(connector.SeverityWarn, subject, fmt.Sprintf("not compared with the server's replicas: cannot list them (%v)", err),
			"to have it checked, give the user REPLICATION MASTER ADMIN (MariaDB 10.5+) or REPLICATION SLAVE (MySQL)")
		return
	}
	used := map[uint32]bool{set.ServerID: true}
	for _, r := range replicas {
		used[r.ID] = true
	}
	for _, r := range replicas {
		if r.ID == id {
			if runs := s.running(ctx); runs != "" {
				c.Add(connector.SeverityOK, subject, fmt.Sprintf("is held by a binlog reader connected from %s: this connector's own, which runs now (%s)", r.From, runs), "")
				return
			}
			free := id + 1
			for used[free] || free == 0 {
				free++
			}
			c.Add(connector.SeverityError, subject,
				fmt.Sprintf("is already used by a replica or binlog reader connected from %s; two readers with one id make the server disconnect one of them (unless that reader is this connector, already running)", r.From),
				fmt.Sprintf("set server_id: %d (unused) in connector %s", free, s.cfg.Name))
			return
		}
	}
	c.Add(connector.SeverityOK, subject, fmt.Sprintf("differs from the server's own (%d) and from its %d connected replica(s)", set.ServerID, len(replicas)), "")
}

// checkTables reports patterns that match no table and selected tables
// without a primary key. It returns the selected tables.
func (s *Source) checkTables(ctx context.Context, c *dbconn.Checker, db *sql.DB) [][2]string {
	tables, err := catalog.ListTables(ctx, db, s.filter)
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("tables"), fmt.Sprintf("cannot list them: %v", err), "")
		return nil
	}
	for _, p := range s.cfg.Tables {
		n := 0
		for _, t := range tables {
			if (catalog.Filter{p}).Match(t[0], t[1]) {
				n++
			}
		}
		if n == 0 {
			c.Add(connector.SeverityWarn, c.On("tables pattern "+strconv.Quote(p)),
				"matches no table the user can see (tables created later are captured)",
				"create the tables, correct the pattern in tables:, or grant SELECT on them")
		}
	}
	bad, keyless := 0, 0
	refused, err := catalog.RefusedTables(ctx, db, s.filter)
	if err != nil {
		c.Add(connector.SeverityUnknown, c.On("tables"), fmt.Sprintf("cannot list them: %v", err), "")
	}
	for _, t := range refused {
		if err := s.topics.CheckTable(t[0], t[1]); err != nil {
			bad++
			c.Add(connector.SeverityError, c.On("table "+dbconn.QuoteTable(t[0], t[1])), err.Error()+": the source quarantines it (its rows are not captured)",
				"rename the database to one without '.', or leave the table out of tables: (list the other tables or patterns explicitly)")
		}
	}
	for _, t := range tables {
		pk, err := catalog.PrimaryKey(ctx, db, t[0], t[1])
		if err != nil {
			c.Add(connector.SeverityUnknown, c.On("table "+t[0]+"."+t[1]), err.Error(), "")
			continue
		}
		if len(pk) == 0 && catalog.Filter(s.cfg.UniqueKeyTables).Match(t[0], t[1]) { // keyless.go
			if uk, err := catalog.UniqueNotNullKey(ctx, db, t[0], t[1]); err == nil && len(uk) > 0 {
				c.Add(connector.SeverityOK, c.On("table "+t[0]+"."+t[1]), "has no primary key; keyed by its unique NOT NULL key ("+strings.Join(uk, ", ")+") as unique_key_tables asks", "")
				continue
			}
			bad++
			c.Add(connector.SeverityError, c.On("table "+t[0]+"."+t[1]), "is in unique_key_tables but has no unique key whose columns are all NOT NULL",
				"add one, or take it out of unique_key_tables: (its rows are then matched by all their values)")
			continue
		}
		if len(pk) == 0 {
			keyless++
			note := "has no primary key: replicated like MySQL's row-based replication does, each change finding its row by all its values " +
				"(one statement per row, in order; slower on a large table without an index)"
			fix := fmt.Sprintf("for key-based apply: ALTER TABLE %s ADD PRIMARY KEY (<columns>)", dbconn.QuoteTable(t[0], t[1]))
			if uk, err := catalog.UniqueNotNullKey(ctx, db, t[0], t[1]); err == nil && len(uk) > 0 {
				fix = "it has a unique NOT NULL key (" + strings.Join(uk, ", ") + "): list it in unique_key_tables: for key-based apply"
			}
			c.Add(connector.SeverityOK, c.On("table "+t[0]+"."+t[1]), note, fix)
		}
	}
	if len(tables) > 0 && bad == 0 && keyless == 0 {
		c.Add(connector.SeverityOK, c.On("tables"), fmt.Sprintf("%d selected, each with a primary key", len(tables)), "")
	} else if len(tables) > 0 && bad == 0 {
		c.Add(connector.SeverityOK, c.On("tables"), fmt.Sprintf("%d selected, %d of them without a primary key", len(tables), keyless), "")
	}
	return tables
}

// checkGrants compares the user's grants with what the source needs:
// REPLICATION SLAVE (read the binlog), REPLICATION CLIENT (SHOW MASTER
// STATUS), RELOAD on MySQL for the snapshot lock, SELECT on every table.
func (s *Source) checkGrants(c *dbconn.Checker, g *dbconn.Grants, flavor string, tables [][2]string) {
	sev := connector.SeverityError
	if len(g.Roles) > 0 {
		sev = connector.SeverityWarn
	}
	want := []string{"REPLICATION SLAVE", "REPLICATION CLIENT"}
	if flavor == "mysql" && s.cfg.Snapshot != "never" {
		want = append(want, "RELOAD")
	}
	if miss := g.Missing(want, "", ""); len(miss) > 0 {
		c.Add(sev, c.On("grants of "+g.User), "missing "+strings.Join(miss, ", ")+g.RolesNote(), g.GrantSQL(miss, "*.*"))
	}
	// SELECT: a pattern with a literal database and a wildcard table part
	// also captures tables created later, so it needs SELECT on the whole
	// database; other selected tables need it on themselves.
	dbWide := map[string]bool{}
	for _, p := range s.cfg.Tables {
		d, t, _ := strings.Cut(p, ".")
		if catalog.IsGlob(d) || dbWide[d] || g.Has("SELECT", d, "") {
			continue
		}
		dbWide[d] = true
		switch {
		case !catalog.IsGlob(t) && !g.Has("SELECT", d, t):
			c.Add(sev, c.On("grants of "+g.User), "missing SELECT on "+d+"."+t+g.RolesNote(), g.GrantSQL([]string{"SELECT"}, dbconn.QuoteTable(d, t)))
		case !catalog.IsGlob(t):
		case allSelectable(g, tables, d):
			c.Add(sev, c.On("grants of "+g.User), "missing SELECT on database "+d+": only single tables are granted; "+
				"the tables without a grant are invisible to the user, so they and tables created later would silently not be captured"+g.RolesNote(),
				g.GrantSQL([]string{"SELECT"}, dbconn.QuoteIdent(d)+".*"))
		default:
			c.Add(sev, c.On("grants of "+g.User), "missing SELECT on database "+d+g.RolesNote(), g.GrantSQL([]string{"SELECT"}, dbconn.QuoteIdent(d)+".*"))
		}
	}
	missingSelect := len(dbWide)
	for _, t := range tables {
		if !dbWide[t[0]] && !g.Has("SELECT", t[0], t[1]) {
			missingSelect++
			c.Add(sev, c.On("grants of "+g.User), "missing SELECT on "+t[0]+"."+t[1]+g.RolesNote(), g.GrantSQL([]string{"SELECT"}, dbconn.QuoteTable(t[0], t[1])))
		}
	}
	if missingSelect == 0 && len(g.Missing(want, "", "")) == 0 {
		c.Add(connector.SeverityOK, c.On("grants of "+g.User), strings.Join(want, ", ")+" and SELECT on the selected tables", "")
	}
}

// allSelectable reports whether d has visible selected tables and the user
// may SELECT from each.
func allSelectable(g *dbconn.Grants, tables [][2]string, d string) bool {
	n := 0
	for _, t := range tables {
		if t[0] == d {
			if !g.Has("SELECT", d, t[1]) {
				return false
			}
			n++
		}
	}
	return n > 0
}

// running names the processes that run this source now (members of its
// leader election group), or "" when none does or Kafka cannot tell.
func (s *Source) running(ctx context.Context) string {
	if s.env.Kafka == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ms, err := s.env.Kafka.Candidates(ctx, s.topics.Leader())
	if err != nil || len(ms) == 0 {
		return ""
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = "sluice on " + m.String()
	}
	return strings.Join(names, ", ")
}
