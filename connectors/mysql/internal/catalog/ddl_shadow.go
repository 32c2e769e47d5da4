package catalog

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// Online schema change tools copy a table into a shadow table, change the
// shadow's definition, keep it in step with the original, and swap the two
// with RENAME TABLE. sluice keeps the shadow tables in its schema history
// but does not replicate them: their rows are copies of the original's,
// which the replicas already get. At the cut-over RENAME (shadow -> t) the
// sinks get the schema change itself: the ALTERs that were run on the
// shadow, aimed at t. A shadow created with its own CREATE TABLE that does
// not match t is replayed as a copy on the replica instead.

// shadowSuffixes are the shadow tables of gh-ost (_t_gho copy, _t_ghc
// changelog, _t_del old table) and pt-online-schema-change (_t_new copy,
// _t_old old table), and whether the table is the tool's copy of t.
var shadowSuffixes = map[string]bool{"_gho": true, "_new": true, "_ghc": false, "_del": false, "_old": false}

// ShadowOf returns the table a shadow table belongs to ("_t_gho" -> "t")
// and whether it is the copy that becomes t at the cut-over.
func ShadowOf(table string) (orig string, copyOf bool, ok bool) {
	if !strings.HasPrefix(table, "_") || len(table) < 6 {
		return "", false, false
	}
	suffix := table[len(table)-4:]
	c, known := shadowSuffixes[suffix]
	if !known {
		return "", false, false
	}
	return table[1 : len(table)-4], c, true
}

// IsShadow reports whether table is a shadow table of another table.
func IsShadow(name string) bool {
	_, t, _ := strings.Cut(name, ".")
	_, _, ok := ShadowOf(t)
	return ok
}

// Shadow is an online schema change in progress: its copy table, created
// as a clone of orig (LIKE, or an equal definition), and the ALTERs run on
// it since.
type Shadow struct {
	orig   string   // "db.t"
	clone  bool     // created equal to orig
	alters []string // ALTER TABLE statements on the copy, in order
}

// noteShadowCreate starts tracking a copy table created as db.t.
func (ss *State) noteShadowCreate(db, t string, s *ast.CreateTableStmt, def *event.TableDef) {
	orig, isCopy, ok := ShadowOf(t)
	if !ok || !isCopy {
		return
	}
	sh := &Shadow{orig: db + "." + orig}
	if od := ss.Tables[sh.orig]; od != nil {
		if s.ReferTable != nil {
			rdb, rt := Qualify(s.ReferTable, db)
			sh.clone = rdb+"."+rt == sh.orig
		} else {
			sh.clone = sameCreate(od, def)
		}
	}
	ss.Shadows[db+"."+t] = sh
}

// sameCreate reports whether two definitions print the same once parsed,
// whatever their names and spelling.
func sameCreate(a, b *event.TableDef) bool {
	na, err1 := normalCreate(a)
	nb, err2 := normalCreate(b)
	return err1 == nil && err2 == nil && na == nb
}

func normalCreate(d *event.TableDef) (string, error) {
	ct, err := createStmt(d)
	if err != nil {
		return "", err
	}
	ct.Table = &ast.TableName{Name: ast.NewCIStr("t")}
	for _, o := range ct.Options { // AUTO_INCREMENT counters differ
		if o.Tp == ast.TableOptionAutoIncrement {
			o.UintValue = 0
		}
	}
	for _, cd := range ct.Cols { // PRIMARY KEY on the column or as a constraint
		opts, pk, notNull := cd.Options[:0:0], false, false
		for _, o := range cd.Options {
			switch o.Tp {
			case ast.ColumnOptionPrimaryKey:
				pk = true
			case ast.ColumnOptionNotNull:
				notNull = true
				opts = append(opts, o)
			default:
				opts = append(opts, o)
			}
		}
		if pk {
			if !notNull {
				opts = append([]*ast.ColumnOption{{Tp: ast.ColumnOptionNotNull}}, opts...)
			}
			ct.Constraints = append(ct.Constraints, &ast.Constraint{Tp: ast.ConstraintPrimaryKey,
				Keys: []*ast.IndexPartSpecification{{Column: cd.Name, Length: -1}}})
		}
		cd.Options = opts
	}
	q, err := RestoreSQL(ct)
	return intWidthRe.ReplaceAllString(q, "$1"), err
}

// intWidthRe matches integer display widths, which do not change a column.
var intWidthRe = regexp.MustCompile(`\b(TINYINT|SMALLINT|MEDIUMINT|INT|BIGINT)\(\d+\)`)

// noteShadowAlter records an ALTER of a copy table.
func (ss *State) noteShadowAlter(name string, s *ast.AlterTableStmt) error {
	sh := ss.Shadows[name]
	if sh == nil {
		return nil
	}
	q, err := RestoreSQL(s)
	if err != nil {
		return fmt.Errorf("print ALTER of %s: %w", name, err)
	}
	sh.alters = append(sh.alters, q)
	return nil
}

// cutover returns what the replicas run when copy table shadowName
// becomes orig: its ALTERs aimed at orig, or, for a copy that was not a
// clone, a copy of orig into a table of the copy's definition swapped in.
func (ss *State) cutover(shadowName, orig string, def *event.TableDef, old *event.TableDef) ([]string, error) {
	sh := ss.Shadows[shadowName]
	delete(ss.Shadows, shadowName)
	db, t, _ := strings.Cut(orig, ".")
	if sh != nil && sh.clone {
		var out []string
		for _, q := range sh.alters {
			stmts, err := ss.ParseSQL(q)
			if err != nil {
				return nil, fmt.Errorf("re-parse %q: %w", q, err)
			}
			at := stmts[0].(*ast.AlterTableStmt)
			at.Table = &ast.TableName{Schema: ast.NewCIStr(db), Name: ast.NewCIStr(t)}
			r, err := RestoreSQL(at)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	if old == nil {
		return nil, fmt.Errorf("cut-over of %s to %s: the definition of %s before it is not in the schema history", shadowName, orig, orig)
	}
	return copySwap(db, t, def, old)
}

// copySwap builds the statements that give db.t the definition def while
// keeping the values of the columns old and def share.
func copySwap(db, t string, def, old *event.TableDef) ([]string, error) {
	tmp, prev := "_"+t+"_sluice_new", "_"+t+"_sluice_old"
	create := CreateTableRe.ReplaceAllLiteralString(def.CreateSQL, "CREATE TABLE "+dbconn.QuoteTable(db, tmp))
	if create == def.CreateSQL {
		return nil, fmt.Errorf("cut-over of %s.%s: unexpected definition %.60q", db, t, def.CreateSQL)
	}
	var cols []string
	for _, c := range def.Columns {
		if oc := old.Column(c.Name); oc != nil && c.Generated == "" && oc.Generated == "" {
			cols = append(cols, dbconn.QuoteIdent(c.Name))
		}
	}
	list := strings.Join(cols, ", ")
	return []string{
		"DROP TABLE IF EXISTS " + dbconn.QuoteTable(db, tmp),
		create,
		"INSERT INTO " + dbconn.QuoteTable(db, tmp) + " (" + list + ") SELECT " + list + " FROM " + dbconn.QuoteTable(db, t),
		"RENAME TABLE " + dbconn.QuoteTable(db, t) + " TO " + dbconn.QuoteTable(db, prev) + ", " + dbconn.QuoteTable(db, tmp) + " TO " + dbconn.QuoteTable(db, t),
		"DROP TABLE " + dbconn.QuoteTable(db, prev),
	}, nil
}

// renameShadow decides what one RENAME pair means for the sinks: an
// ordinary rename (relevant), a table moved aside to its own shadow name
// or a shadow renamed among shadows (not replicated), or the cut-over of a
// copy table onto its original (the schema change, in ch.sinkStmts).
func (ss *State) renameShadow(oname, nname string, def *event.TableDef, ch *Change) error {
	oldSh, newSh := IsShadow(oname), IsShadow(nname)
	odb, ot, _ := strings.Cut(oname, ".")
	ndb, nt, _ := strings.Cut(nname, ".")
	switch {
	case !oldSh && !newSh:
		if ch.SinkStmts != nil {
			return fmt.Errorf("RENAME TABLE %s TO %s in the same statement as a schema change tool's cut-over is not supported", oname, nname)
		}
		ch.Relevant = true
		return nil
	case !oldSh && newSh:
		if orig, _, _ := ShadowOf(nt); orig == ot && odb == ndb {
			ss.Retired[oname] = def
		}
		return nil
	case oldSh && !newSh:
		orig, isCopy, _ := ShadowOf(ot)
		if !isCopy || orig != nt || odb != ndb || def == nil {
			return fmt.Errorf("RENAME TABLE %s TO %s: a shadow table of an online schema change renamed to a table other than its original is not supported", oname, nname)
		}
		if ch.Relevant {
			return fmt.Errorf("RENAME TABLE ... %s TO %s: a schema change tool's cut-over mixed with other renames is not supported", oname, nname)
		}
		old := ss.Retired[nname]
		if old == nil {
			old = ss.Tables[nname]
		}
		delete(ss.Retired, nname)
		nd := *def
		nd.DB, nd.Table = ndb, nt
		stmts, err := ss.cutover(oname, nname, &nd, old)
		if err != nil {
			return err
		}
		ch.Relevant, ch.SinkStmts = true, append(ch.SinkStmts, stmts...)
		if len(ch.SinkStmts) == 0 { // no ALTER ran on the copy: nothing to change
			ch.SinkStmts = []string{}
		}
	}
	return nil
}
