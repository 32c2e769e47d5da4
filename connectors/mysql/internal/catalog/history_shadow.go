package catalog

import (
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// replayShadows rebuilds the online schema changes in progress at a
// restart from the history records of shadow tables (Seq before the
// restart position): for each copy table that still exists, the statement
// that created it and the ALTERs since; for each original moved aside
// (t -> _t_del), its definition.
func (ss *State) ReplayShadows(recs map[string][]*event.SchemaRecord) {
	for name, rs := range recs {
		def := ss.Tables[name]
		if def == nil {
			continue
		}
		db, t, _ := strings.Cut(name, ".")
		orig, isCopy, _ := ShadowOf(t)
		if !isCopy {
			ss.Retired[db+"."+orig] = def
			continue
		}
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Seq.Less(rs[j].Seq) })
		start := 0
		for i, r := range rs {
			if r.Dropped {
				start = i + 1
			}
		}
		var seen event.Seq
		for _, r := range rs[start:] {
			if r.Statement == "" || r.Seq == seen {
				continue // read from the server, or a copy a restarted reader wrote again
			}
			seen = r.Seq
			stmts, err := ss.ParseSQL(r.Statement)
			if err != nil || len(stmts) != 1 {
				continue
			}
			switch s := stmts[0].(type) {
			case *ast.CreateTableStmt:
				ss.noteShadowCreate(db, t, s, &r.Table)
			default:
				if a := asAlter(s); a != nil {
					_ = ss.noteShadowAlter(name, a)
				}
			}
		}
	}
}
