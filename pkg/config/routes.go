package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Route maps source tables to replica tables (a sink's `routes`, a building
// block of sink types' configs like SinkErrors). From is
// "db.table", "db.*" or "*.table"... as written: a database part and a table
// part, either of which may be "*"; To has "*" exactly where From has it,
// and that part is kept.
type Route struct {
	From, To string
}

// Routes decodes a routes mapping into dst, keeping the file's order.
func (d *Decoder) Routes(dst *[]Route) Handler {
	return func(path string, n *yaml.Node) {
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
}

// maxIdentifierLen bounds database and table names (MySQL's 64).
const maxIdentifierLen = 64

// CheckRoutes checks the routes mapping at key.
func (s *Scope) CheckRoutes(key string, routes []Route) {
	seen := map[string]bool{}
	for _, r := range routes {
		k := fmt.Sprintf("%s[%q]", key, r.From)
		if s.Skip(k) {
			continue
		}
		if msg := checkRoute(r); msg != "" {
			s.Add(k, "%s", msg)
		}
		if seen[r.From] {
			s.Add(k, "%q is routed twice; keep one", r.From)
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
