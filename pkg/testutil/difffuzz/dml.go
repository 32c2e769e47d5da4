package difffuzz

import (
	"fmt"
	"strings"
)

// dml returns a transaction of one to six row changes over the fuzzed
// tables (and, rarely, Other's), committed or, one time in ten, rolled
// back.
func (g *Gen) dml() (Stmt, bool) {
	ts := g.tables(g.r.Intn(10) == 0)
	if len(ts) == 0 {
		return Stmt{}, false
	}
	s := Stmt{SQL: []string{pick(g.r, "BEGIN", "START TRANSACTION")}}
	for i, n := 0, 1+g.r.Intn(6); i < n; i++ {
		t := ts[g.r.Intn(len(ts))]
		q, extra := g.change(t)
		if q == "" {
			continue
		}
		s.SQL = append(s.SQL, q)
		s.Extra = append(s.Extra, extra)
	}
	if len(s.SQL) == 1 {
		return Stmt{}, false
	}
	if g.r.Intn(10) == 0 {
		s.SQL = append(s.SQL, "ROLLBACK")
		s.Extra = append(s.Extra, "rollback")
	} else {
		s.SQL = append(s.SQL, "COMMIT")
	}
	return s, true
}

// dmlLax is dml in a session without strict mode, where the server
// stores what strict mode refuses (ENUM ”, out-of-range floats clamped,
// text truncated).
func (g *Gen) dmlLax() (Stmt, bool) {
	s, ok := g.dml()
	s.Session = []string{"SET SESSION sql_mode = '" + pick(g.r, "", "NO_ENGINE_SUBSTITUTION", "ALLOW_INVALID_DATES") + "'"}
	return s, ok
}

func (g *Gen) nextval() (Stmt, bool) {
	for _, t := range g.Cat.Tables {
		if t.Sequence && g.r.Intn(2) == 0 {
			return Stmt{SQL: []string{pick(g.r, "SELECT NEXTVAL(", "SELECT SETVAL(") + QT(t.DB, t.Name) + pick(g.r, ")", ", 500)")}}, true
		}
	}
	return Stmt{}, false
}

// keyValue returns a value for a key column, from a small range so that
// changes meet the same rows.
func (g *Gen) keyValue(c Column) string {
	n := 1 + g.r.Intn(30)
	if c.DataType == "varchar" || c.DataType == "char" {
		return fmt.Sprintf("'%s'", pick(g.r, "k", "K", "k ", "é", "e")+fmt.Sprint(n%5))
	}
	return fmt.Sprint(n)
}

// where returns a condition that picks one row, or several, of t.
func (g *Gen) where(t *Table) string {
	if len(t.Key) > 0 {
		k := column(t, t.Key[0])
		switch g.r.Intn(4) {
		case 0:
			return Q(k.Name) + " > " + g.keyValue(k)
		case 1:
			return Q(k.Name) + " IN (" + g.keyValue(k) + ", " + g.keyValue(k) + ")"
		}
		return Q(k.Name) + " = " + g.keyValue(k)
	}
	cols := t.Writable()
	c := cols[g.r.Intn(len(cols))]
	return Q(c.Name) + pick(g.r, " = ", " <> ", " <=> ") + g.value(c)
}

// change returns one row change of t, and its class.
func (g *Gen) change(t *Table) (string, string) {
	cols := t.Writable()
	if len(cols) == 0 {
		return "", ""
	}
	name := QT(t.DB, t.Name)
	switch r := g.r.Intn(10); {
	case r < 4:
		return g.insert(t, cols), "insert"
	case r < 7:
		c := cols[g.r.Intn(len(cols))]
		v := g.value(c)
		if isKey(t, c.Name) {
			v = g.keyValue(c)
		}
		set := Q(c.Name) + " = " + v
		if g.r.Intn(4) == 0 {
			c2 := cols[g.r.Intn(len(cols))]
			if !isKey(t, c2.Name) && c2.Name != c.Name {
				set += ", " + Q(c2.Name) + " = " + g.value(c2)
			}
		}
		q := "UPDATE " + pick(g.r, "", "IGNORE ") + name + " SET " + set + " WHERE " + g.where(t)
		if len(t.Key) == 0 && g.r.Intn(2) == 0 {
			q += " LIMIT 1"
		}
		return q, "update"
	case r < 9:
		q := "DELETE FROM " + name + " WHERE " + g.where(t)
		if len(t.Key) == 0 && g.r.Intn(2) == 0 {
			q += " LIMIT 1"
		}
		return q, "delete"
	}
	return "DELETE FROM " + name + " ORDER BY " + Q(cols[0].Name) + " LIMIT " + fmt.Sprint(1+g.r.Intn(3)), "delete"
}

// insert returns an INSERT, INSERT IGNORE, upsert or REPLACE of one to
// three rows of t.
func (g *Gen) insert(t *Table, cols []Column) string {
	var use []Column
	for _, c := range cols {
		if isKey(t, c.Name) || (!c.Nullable && !c.AutoInc) || g.r.Intn(3) > 0 {
			use = append(use, c)
		}
	}
	names := make([]string, len(use))
	for i, c := range use {
		names[i] = Q(c.Name)
	}
	var rows []string
	for i, n := 0, 1+g.r.Intn(3); i < n; i++ {
		vals := make([]string, len(use))
		for j, c := range use {
			if isKey(t, c.Name) || c.AutoInc {
				vals[j] = g.keyValue(c)
			} else {
				vals[j] = g.value(c)
			}
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+")")
	}
	head := pick(g.r, "INSERT INTO ", "INSERT IGNORE INTO ", "REPLACE INTO ", "INSERT INTO ")
	q := head + QT(t.DB, t.Name) + " (" + strings.Join(names, ", ") + ") VALUES " + strings.Join(rows, ", ")
	if head == "INSERT INTO " && g.r.Intn(2) == 0 && len(use) > 0 {
		c := use[len(use)-1]
		q += " ON DUPLICATE KEY UPDATE " + Q(c.Name) + " = VALUES(" + Q(c.Name) + ")"
	}
	return q
}

func column(t *Table, name string) Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return Column{Name: name}
}
