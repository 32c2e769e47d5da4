package config

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Route maps source tables to replica tables (mysql-sink `routes`). From is
// "db.table", "db.*" or "*.table"... as written: a database part and a table
// part, either of which may be "*"; To has "*" exactly where From has it,
// and that part is kept.
type Route struct {
	From, To string
}

// routes decodes the routes mapping, keeping the file's order.
func (d *decoder) routes(path string, n *yaml.Node, dst *[]Route) {
	r := resolve(n)
	if r.Kind != yaml.MappingNode {
		d.wrongType(path, n, `a mapping of source to replica tables, e.g. {"shop.orders": "archive.orders", "shop.*": "shop_copy.*"}`)
		return
	}
	for _, p := range d.pairs(path, r, 0) {
		kp := path + "[" + fmt.Sprintf("%q", p.key) + "]"
		d.m.lines[kp] = p.line
		to, ok := d.str(kp, p.val)
		if ok {
			*dst = append(*dst, Route{From: p.key, To: to})
		}
	}
}

// skipDDLRe is "binlog-file.NNNNNN:position".
var skipDDLRe = regexp.MustCompile(`^[^\s:]+\.[0-9]+:[0-9]+$`)

// ddlKeys checks skip_ddl of a source and routes of a sink.
func (v *validator) ddlKeys(p string, cn *Connector) {
	for i, s := range cn.SkipDDL {
		if k := fmt.Sprintf("%s.skip_ddl[%d]", p, i); !v.skip(k) && !skipDDLRe.MatchString(s) {
			v.r.add(k, "%s is not a binlog position; write the position the error named, e.g. \"mariadb-bin.000003:12345\"", v.show(k, s))
		}
	}
	seen := map[string]bool{}
	for _, r := range cn.Routes {
		k := fmt.Sprintf("%s.routes[%q]", p, r.From)
		if v.skip(k) {
			continue
		}
		if msg := checkRoute(r); msg != "" {
			v.r.add(k, "%s", msg)
		}
		if seen[r.From] {
			v.r.add(k, "%q is routed twice; keep one", r.From)
		}
		seen[r.From] = true
	}
}

// checkRoute returns what is wrong with a route, or "".
func checkRoute(r Route) string {
	fdb, ft, ok1 := strings.Cut(r.From, ".")
	tdb, tt, ok2 := strings.Cut(r.To, ".")
	switch {
	case !ok1 || strings.Contains(ft, ".") || fdb == "" || ft == "":
		return fmt.Sprintf("source %q must be db.table, db.* or *.table", r.From)
	case !ok2 || strings.Contains(tt, ".") || tdb == "" || tt == "":
		return fmt.Sprintf("replica table %q must be db.table (with * where the source has *)", r.To)
	case strings.ContainsAny(fdb+ft, "?[]\\") || (strings.Contains(fdb, "*") && fdb != "*") || (strings.Contains(ft, "*") && ft != "*"):
		return fmt.Sprintf("source %q: only a whole part may be *", r.From)
	case (fdb == "*") != (tdb == "*") || (ft == "*") != (tt == "*"):
		return fmt.Sprintf("%q -> %q: the replica side must have * exactly where the source side has it", r.From, r.To)
	case strings.ContainsAny(tdb+tt, "`/\\\x00") || len(tdb) > maxIdentifierLen || len(tt) > maxIdentifierLen:
		return fmt.Sprintf("replica table %q is not a usable name", r.To)
	}
	return ""
}
