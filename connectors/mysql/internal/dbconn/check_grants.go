package dbconn

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Grants is what SHOW GRANTS says the current user may do. It knows the
// global (*.*), database (`db`.*) and table (`db`.`t`) levels; column
// privileges, routine privileges and PROXY are ignored, and privileges that
// come through roles are not resolved (Roles lists the granted roles, so a
// caller can say so instead of claiming a privilege is missing).
type Grants struct {
	User   string // as GRANT wants it: 'user'@'host'
	global map[string]bool
	dbs    []dbGrant
	tables map[[2]string]map[string]bool
	Roles  []string
}

// dbGrant is one database-level grant. Name is a LIKE pattern, as MySQL
// treats the names of database-level grants: % and _ are wildcards, \
// escapes them.
type dbGrant struct {
	name  string
	privs map[string]bool
}

// ReadGrants reads the current user's grants. SHOW GRANTS output may hold
// a password hash: it is parsed here and never printed.
func ReadGrants(ctx context.Context, db *sql.DB) (*Grants, error) {
	var cur string
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&cur); err != nil {
		return nil, fmt.Errorf("CURRENT_USER(): %w", err)
	}
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return nil, fmt.Errorf("SHOW GRANTS: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	g := ParseGrants(lines)
	g.User = Grantee(cur)
	return g, nil
}

// Grantee turns CURRENT_USER()'s user@host into 'user'@'host'.
func Grantee(cur string) string {
	u, h := cur, "%"
	if i := strings.LastIndexByte(cur, '@'); i >= 0 {
		u, h = cur[:i], cur[i+1:]
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return q(u) + "@" + q(h)
}

// privAliases maps the names servers print to the names sluice asks for.
var privAliases = map[string]string{
	"BINLOG MONITOR": "REPLICATION CLIENT", // MariaDB 10.5+ renamed it
	"ALL":            "ALL PRIVILEGES",
}

// ParseGrants parses SHOW GRANTS lines. Lines it does not understand are
// skipped: a missing privilege is then reported, never a false one granted.
func ParseGrants(lines []string) *Grants {
	g := &Grants{global: map[string]bool{}, tables: map[[2]string]map[string]bool{}}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "GRANT ") {
			continue
		}
		rest := l[len("GRANT "):]
		on := strings.Index(rest, " ON ")
		if on < 0 { // GRANT `role` TO `user`@`host`
			if to := strings.Index(rest, " TO "); to > 0 {
				g.Roles = append(g.Roles, rest[:to])
			}
			continue
		}
		privs := parsePrivs(rest[:on])
		target := strings.TrimSpace(rest[on+len(" ON "):])
		if strings.HasPrefix(target, "PROCEDURE ") || strings.HasPrefix(target, "FUNCTION ") || strings.HasPrefix(target, "PACKAGE ") {
			continue
		}
		target = strings.TrimPrefix(target, "TABLE ")
		dbName, rest2, ok := parseIdent(target)
		if !ok || !strings.HasPrefix(rest2, ".") {
			continue
		}
		tbl, _, ok := parseIdent(rest2[1:])
		if !ok {
			continue
		}
		switch {
		case dbName == "*" && tbl == "*":
			addPrivs(g.global, privs)
		case tbl == "*":
			m := map[string]bool{}
			addPrivs(m, privs)
			g.dbs = append(g.dbs, dbGrant{name: dbName, privs: m})
		default:
			k := [2]string{dbName, tbl}
			if g.tables[k] == nil {
				g.tables[k] = map[string]bool{}
			}
			addPrivs(g.tables[k], privs)
		}
	}
	return g
}

func addPrivs(m map[string]bool, privs []string) {
	for _, p := range privs {
		m[p] = true
	}
}

// parsePrivs splits "SELECT, INSERT (`a`), REPLICATION SLAVE" into
// privileges, dropping column privileges (they do not cover a whole table).
func parsePrivs(s string) []string {
	var out []string
	depth, start := 0, 0
	flush := func(end int) {
		p := strings.ToUpper(strings.TrimSpace(s[start:end]))
		if p != "" && !strings.Contains(p, "(") {
			if a, ok := privAliases[p]; ok {
				p = a
			}
			out = append(out, p)
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				flush(i)
				start = i + 1
			}
		}
	}
	flush(len(s))
	return out
}

// parseIdent reads `quoted`, * or a bare identifier at the start of s and
// returns it and the rest of s.
func parseIdent(s string) (string, string, bool) {
	if s == "" {
		return "", "", false
	}
	if s[0] == '*' {
		return "*", s[1:], true
	}
	if s[0] != '`' {
		i := strings.IndexAny(s, ". ")
		if i < 0 {
			i = len(s)
		}
		return s[:i], s[i:], i > 0
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			b.WriteByte('`')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}

// has reports whether the user holds priv on table db.table, or on the
// database db when table is "". Privileges granted through roles are not
// seen.
func (g *Grants) Has(priv, db, table string) bool {
	if g.global[priv] || g.global["ALL PRIVILEGES"] {
		return true
	}
	if db == "" {
		return false
	}
	for _, d := range g.dbs {
		if (d.privs[priv] || d.privs["ALL PRIVILEGES"]) && likeMatch(d.name, db) {
			return true
		}
	}
	if table == "" {
		return false
	}
	t := g.tables[[2]string{db, table}]
	return t[priv] || t["ALL PRIVILEGES"]
}

// missing returns the privileges of want that the user lacks on db.table
// (or on db when table is "").
func (g *Grants) Missing(want []string, db, table string) []string {
	var out []string
	for _, p := range want {
		if !g.Has(p, db, table) {
			out = append(out, p)
		}
	}
	return out
}

// grantSQL is the statement that gives the user privs on target.
func (g *Grants) GrantSQL(privs []string, target string) string {
	return fmt.Sprintf("GRANT %s ON %s TO %s;", strings.Join(privs, ", "), target, g.User)
}

// rolesNote is appended to a missing-privilege message when roles could
// hold the privilege.
func (g *Grants) RolesNote() string {
	if len(g.Roles) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the user also has roles %s, whose privileges sluice check does not examine)", strings.Join(g.Roles, ", "))
}

// likeMatch matches name against a LIKE pattern with % and _ wildcards and
// \ escapes, case-sensitively (database names are case-sensitive on Linux).
func likeMatch(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	switch c := pattern[0]; c {
	case '%':
		for i := 0; i <= len(name); i++ {
			if likeMatch(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	case '_':
		return name != "" && likeMatch(pattern[1:], name[1:])
	case '\\':
		if len(pattern) > 1 {
			pattern = pattern[1:]
		}
	}
	return name != "" && name[0] == pattern[0] && likeMatch(pattern[1:], name[1:])
}
