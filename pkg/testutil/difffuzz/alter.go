package difffuzz

import (
	"fmt"
	"strings"
)

// alterTable changes a table's columns, keys or indexes, one or more
// changes per statement, spelled the ways MariaDB takes them.
func (g *Gen) alterTable() (Stmt, bool) {
	t, ok := g.someTable()
	if !ok {
		return Stmt{}, false
	}
	s := Stmt{}
	var parts []string
	for i, n := 0, 1+g.r.Intn(2); i < n; i++ {
		p, extra := g.alterPart(t)
		if p != "" {
			parts = append(parts, p)
			s.Extra = append(s.Extra, extra...)
		}
	}
	if len(parts) == 0 {
		return Stmt{}, false
	}
	head := pick(g.r, "ALTER TABLE ", "ALTER TABLE ", "ALTER ONLINE TABLE ", "ALTER IGNORE TABLE ")
	q := leadingComment(g.r) + head + QT(t.DB, t.Name) + " " + strings.Join(parts, ", ")
	if g.r.Intn(6) == 0 {
		q += pick(g.r, ", ALGORITHM=INPLACE", ", ALGORITHM=COPY", ", LOCK=NONE", ", ALGORITHM=NOCOPY")
	}
	s.SQL = []string{q}
	return s, true
}

// alterPart returns one change of an ALTER TABLE on t.
func (g *Gen) alterPart(t *Table) (string, []string) {
	cols := t.Writable()
	col := t.Columns[g.r.Intn(len(t.Columns))]
	g.serial++
	fresh := fmt.Sprintf("a%d", g.serial)
	switch g.r.Intn(12) {
	case 0, 1:
		def, c := g.columnDef(fresh)
		return "ADD COLUMN " + def + pick(g.r, "", " FIRST", " AFTER "+Q(col.Name)), append(nonEmpty(c), "add_column")
	case 2:
		if len(cols) < 2 || isKey(t, col.Name) {
			return "", nil
		}
		return "DROP COLUMN " + Q(col.Name), []string{"drop_column"}
	case 3:
		if w := wider(col); w != "" && !col.Generated {
			return "MODIFY COLUMN " + Q(col.Name) + " " + w + nullity(col), []string{"modify_column"}
		}
	case 4:
		if col.Generated {
			return "", nil
		}
		return "CHANGE " + Q(col.Name) + " " + Q(fresh) + " " + col.Type + nullity(col), []string{"change_column"}
	case 5:
		return "RENAME COLUMN " + Q(col.Name) + " TO " + Q(fresh), []string{"rename_column"}
	case 6:
		if strings.Contains(col.DataType, "blob") || strings.Contains(col.DataType, "text") || col.DataType == "json" || col.DataType == "geometry" || col.DataType == "point" {
			return "", nil
		}
		return pick(g.r, "ADD INDEX ", "ADD KEY ", "ADD UNIQUE INDEX ") + Q("i"+fresh) + " (" + Q(col.Name) + ")", []string{"add_index"}
	case 7:
		if len(t.Key) == 0 {
			if col.Nullable || col.Generated || !keyable(col) {
				return "", nil
			}
			return "ADD PRIMARY KEY (" + Q(col.Name) + ")", []string{"add_primary_key"}
		}
		return "", nil
	case 8:
		if len(t.Key) > 0 && g.r.Intn(3) == 0 {
			return "DROP PRIMARY KEY", []string{"drop_primary_key"}
		}
		return "ALTER COLUMN " + Q(col.Name) + " SET DEFAULT " + pick(g.r, "NULL", "'1'"), []string{"column_default"}
	case 9:
		if !isText(col.Type) || col.Generated {
			return "", nil
		}
		cc, _ := charsetClause(g.r)
		return "MODIFY " + Q(col.Name) + " " + col.Type + " " + cc + nullity(col), []string{"column_charset"}
	case 10:
		if col.Generated || isKey(t, col.Name) {
			return "", nil
		}
		return "MODIFY " + Q(col.Name) + " " + col.Type + nullity(col) + " INVISIBLE", []string{"invisible"}
	case 11:
		return "ADD COLUMN " + Q(fresh) + " INT " + pick(g.r, "AS (1) VIRTUAL", "DEFAULT 3 NOT NULL", "NULL"), []string{"add_column"}
	}
	return "", nil
}

// alterTableOptions changes table options: charset, collation,
// CONVERT TO, comment, engine, in one order or another.
func (g *Gen) alterTableOptions() (Stmt, bool) {
	t, ok := g.someTable()
	if !ok {
		return Stmt{}, false
	}
	cs := pick(g.r, "latin1", "utf8mb3", "utf8mb4", "utf8", "cp1251")
	coll := ""
	if cs != "utf8" {
		coll = pick(g.r, charsets[cs]...)
	} else {
		coll = "utf8mb3_bin"
	}
	opt := pick(g.r, "CONVERT TO CHARACTER SET "+cs, "CONVERT TO CHARACTER SET "+cs+" COLLATE "+coll,
		"DEFAULT CHARACTER SET "+cs, "CHARACTER SET "+cs+" COLLATE "+coll, "COLLATE "+coll+" CHARACTER SET "+cs,
		"COLLATE "+coll, "DEFAULT CHARSET="+cs+", COLLATE="+coll, "COMMENT='changed'", "ENGINE=InnoDB", "FORCE")
	return Stmt{SQL: []string{leadingComment(g.r) + "ALTER TABLE " + QT(t.DB, t.Name) + " " + opt}}, true
}

func (g *Gen) renameTable() (Stmt, bool) {
	ts := g.tables(true)
	if len(ts) == 0 {
		return Stmt{}, false
	}
	t := ts[g.r.Intn(len(ts))]
	g.serial++
	to := fmt.Sprintf("r%d", g.serial)
	db := t.DB
	extra := []string{}
	switch g.r.Intn(5) {
	case 0:
		if d, ok := g.someDB(); ok {
			db = d
		}
	case 1:
		db = Other // out of the selection; a later rename may bring it back
		extra = append(extra, "rename_out")
	case 2:
		if t2, ok := g.someTable(); ok && t2 != t && t2.DB == t.DB { // swap
			tmp := QT(t.DB, "tmp"+to)
			return Stmt{SQL: []string{"RENAME TABLE " + QT(t.DB, t.Name) + " TO " + tmp + ", " + QT(t2.DB, t2.Name) + " TO " +
				QT(t.DB, t.Name) + ", " + tmp + " TO " + QT(t2.DB, t2.Name)}, Extra: []string{"rename_swap"}}, true
		}
	}
	if t.DB == Other {
		if d, ok := g.someDB(); ok {
			db = d
			extra = append(extra, "rename_in")
		}
	}
	if g.r.Intn(3) == 0 && db == t.DB {
		return Stmt{SQL: []string{"ALTER TABLE " + QT(t.DB, t.Name) + " RENAME TO " + QT(db, to)}, Extra: extra}, true
	}
	return Stmt{SQL: []string{"RENAME TABLE " + QT(t.DB, t.Name) + " TO " + QT(db, to)}, Extra: extra}, true
}

func (g *Gen) truncateTable() (Stmt, bool) {
	t, ok := g.someTable()
	if !ok {
		return Stmt{}, false
	}
	return Stmt{SQL: []string{pick(g.r, "TRUNCATE TABLE ", "TRUNCATE ") + QT(t.DB, t.Name)}}, true
}

func (g *Gen) dropTable() (Stmt, bool) {
	t, ok := g.someTable()
	if !ok {
		return Stmt{}, false
	}
	return Stmt{SQL: []string{leadingComment(g.r) + "DROP TABLE " + pick(g.r, "", "IF EXISTS ") + QT(t.DB, t.Name)}}, true
}

func (g *Gen) dropDB() (Stmt, bool) {
	dbs := g.databases()
	if len(dbs) < 3 {
		return Stmt{}, false
	}
	return Stmt{SQL: []string{"DROP DATABASE " + Q(dbs[g.r.Intn(len(dbs))])}}, true
}

func isKey(t *Table, col string) bool {
	for _, k := range t.Key {
		if k == col {
			return true
		}
	}
	return false
}

func nullity(c Column) string {
	if c.Nullable {
		return " NULL"
	}
	return " NOT NULL"
}

func keyable(c Column) bool {
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "bigint", "char", "varchar", "date", "datetime", "decimal", "binary", "varbinary":
		return true
	}
	return false
}

// wider returns a type that holds every value of c's, or "".
func wider(c Column) string {
	switch c.DataType {
	case "tinyint":
		return strings.Replace(c.Type, "tinyint", "smallint", 1)
	case "smallint":
		return strings.Replace(c.Type, "smallint", "int", 1)
	case "int", "mediumint":
		return strings.Replace(c.Type, c.DataType, "bigint", 1)
	case "varchar":
		return strings.Replace(c.Type, "varchar(", "varchar(4", 1)
	case "char":
		return strings.Replace(c.Type, "char(", "varchar(2", 1)
	case "text", "tinytext":
		return "mediumtext"
	case "blob", "tinyblob":
		return "mediumblob"
	case "float":
		return "double"
	}
	return ""
}
