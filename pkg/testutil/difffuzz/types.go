package difffuzz

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// charsets are the column and table character sets the generator uses,
// each with collations of it.
var charsets = map[string][]string{
	"latin1":  {"latin1_swedish_ci", "latin1_bin", "latin1_general_cs"},
	"utf8mb3": {"utf8mb3_general_ci", "utf8mb3_bin", "utf8mb3_unicode_ci"},
	"utf8mb4": {"utf8mb4_general_ci", "utf8mb4_bin", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci"},
	"binary":  {"binary"},
	"ascii":   {"ascii_general_ci", "ascii_bin"},
	"ucs2":    {"ucs2_general_ci"},
	"utf16":   {"utf16_general_ci"},
	"cp1251":  {"cp1251_general_ci"},
	"sjis":    {"sjis_japanese_ci"},
}

var charsetNames = []string{"latin1", "utf8mb3", "utf8mb4", "binary", "ascii", "ucs2", "utf16", "cp1251", "sjis"}

// columnTypes are the column types of pkg/value, as DDL.
var columnTypes = []string{
	"TINYINT", "TINYINT UNSIGNED", "SMALLINT", "SMALLINT UNSIGNED", "MEDIUMINT", "MEDIUMINT UNSIGNED",
	"INT", "INT UNSIGNED", "BIGINT", "BIGINT UNSIGNED",
	"DECIMAL(10,2)", "DECIMAL(65,30)", "DECIMAL(5,0) UNSIGNED", "FLOAT", "DOUBLE", "FLOAT(10,2)", "DOUBLE(12,4)",
	"BIT(1)", "BIT(13)", "BIT(64)",
	"DATE", "DATETIME", "DATETIME(6)", "TIMESTAMP(3) NULL", "TIME", "TIME(6)", "YEAR",
	"CHAR(5)", "VARCHAR(20)", "VARCHAR(300)", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT",
	"BINARY(4)", "VARBINARY(40)", "TINYBLOB", "BLOB", "LONGBLOB",
	"ENUM('a','b','c')", "ENUM('x','','Ünï')", "SET('p','q','r')",
	"JSON", "POINT", "GEOMETRY", "INET6", "UUID", "INET4",
}

// isText reports whether a type takes a character set.
func isText(typ string) bool {
	u := strings.ToUpper(typ)
	return strings.HasPrefix(u, "CHAR") || strings.HasPrefix(u, "VARCHAR") || strings.HasSuffix(u, "TEXT") ||
		strings.HasPrefix(u, "ENUM") || strings.HasPrefix(u, "SET")
}

// charsetClause returns a column character set clause in one of the ways
// MariaDB takes it: plain, COLLATE alone, both in either order, or inside
// MySQL's or MariaDB's executable comments.
func charsetClause(r *rand.Rand) (string, string) {
	cs := charsetNames[r.Intn(len(charsetNames))]
	coll := pick(r, charsets[cs]...)
	var c string
	switch r.Intn(6) {
	case 0:
		c = "CHARACTER SET " + cs
	case 1:
		c = "COLLATE " + coll
	case 2:
		c = "CHARACTER SET " + cs + " COLLATE " + coll
	case 3:
		c = "CHARSET " + cs + " COLLATE " + coll
	case 4:
		return "/*!40101 CHARACTER SET " + cs + " */", "exec_comment"
	default:
		return pick(r, "/*M! CHARACTER SET "+cs+" */", "/*M!100301 COLLATE "+coll+" */"), "exec_comment"
	}
	return c, ""
}

// columnDef returns the definition of a new column named name, and the
// class it exercises beyond "column".
func (g *Gen) columnDef(name string) (string, string) {
	r := g.r
	typ := columnTypes[r.Intn(len(columnTypes))]
	for slices.Contains(g.Skip, typ) {
		typ = columnTypes[r.Intn(len(columnTypes))]
	}
	def, class := Q(name)+" "+typ, ""
	if isText(typ) && r.Intn(2) == 0 {
		cc, c := charsetClause(r)
		def += " " + cc
		class = c
	}
	switch r.Intn(10) {
	case 0:
		def += " NOT NULL"
	case 1:
		if d := defaultFor(r, typ); d != "" {
			def += " DEFAULT " + d
			class = "default"
		}
	case 2:
		def += " INVISIBLE"
		class = "invisible"
	case 3:
		def += " COMMENT 'c''s " + name + "'"
	}
	return def, class
}

// defaultFor returns a DEFAULT for typ, or "" when it takes none.
func defaultFor(r *rand.Rand, typ string) string {
	u := strings.ToUpper(typ)
	switch {
	case strings.Contains(u, "INT"):
		return pick(r, "0", "7", "(1 + 1)")
	case strings.HasPrefix(u, "VARCHAR") || strings.HasPrefix(u, "CHAR"):
		return pick(r, "''", "'dflt'", "(CONCAT('a', 'b'))")
	case strings.HasPrefix(u, "DATETIME") || strings.HasPrefix(u, "TIMESTAMP"):
		return pick(r, "'2001-02-03 04:05:06'", "CURRENT_TIMESTAMP")
	case strings.HasPrefix(u, "DECIMAL") || strings.HasPrefix(u, "DOUBLE"):
		return "1.5"
	}
	return ""
}

// value returns an SQL literal for a column: edge values of its type,
// NULL where it is nullable, text in and beyond its character set.
func (g *Gen) value(c Column) string {
	r := g.r
	if c.Nullable && r.Intn(8) == 0 {
		return "NULL"
	}
	t := strings.ToLower(c.Type)
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		return intValue(r, c.DataType, strings.Contains(t, "unsigned"))
	case "decimal":
		return pick(r, "0", "-1.5", "12345678.99", "'0.000000000000000000000000000001'", "-99999.0", "99999")
	case "float", "double":
		return pick(r, "0", "-0.0", "1.5", "3.4e38", "-1.17549435e-38", "99999999.99", "0.1", "1e-7", "123456789.123")
	case "bit":
		return pick(r, "b'0'", "b'1'", "0", "1", "x'1FFF'", "x'FFFFFFFFFFFFFFFF'")
	case "date":
		return pick(r, "'0000-00-00'", "'1000-01-01'", "'9999-12-31'", "'2024-02-29'", "'2001-00-00'")
	case "datetime":
		return pick(r, "'0000-00-00 00:00:00'", "'9999-12-31 23:59:59.999999'", "'1970-01-01 00:00:00'", "'2020-03-29 02:30:00.5'")
	case "timestamp":
		return pick(r, "'1970-01-01 00:00:01'", "'2038-01-19 03:14:07.999'", "'2021-11-07 01:30:00'", "NOW(3)")
	case "time":
		return pick(r, "'-838:59:59'", "'838:59:59.999999'", "'00:00:00'", "'-00:00:01.5'", "'25:00:00'")
	case "year":
		return pick(r, "0", "1901", "2155", "'69'", "70")
	case "enum":
		return pick(r, "'a'", "'b'", "'c'", "'x'", "''", "'Ünï'", "1", "2")
	case "set":
		return pick(r, "''", "'p'", "'p,r'", "'q,p,r'", "7")
	case "json":
		return pick(r, `'{}'`, `'{"a": [1, 2.50, "é"], "b": null}'`, `'[1e2, 0.1, -0]'`, `'"str\\u00e9"'`, `'{"b":1,"a":2,"a":3}'`, "'12345678901234567890'")
	case "point", "geometry":
		return pick(r, "ST_GeomFromText('POINT(1 2)')", "ST_GeomFromText('POINT(-0.5 1e10)')")
	case "inet6":
		return pick(r, "'::1'", "'2001:db8::ff00:42:8329'", "'::ffff:1.2.3.4'")
	case "inet4":
		return pick(r, "'0.0.0.0'", "'255.255.255.255'", "'10.1.2.3'")
	case "uuid":
		return pick(r, "'123e4567-e89b-12d3-a456-426655440000'", "'00000000-0000-0000-0000-000000000000'", "UUID()")
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return pick(r, "''", "x'00'", "x'00FF7F80'", "'a\\0b'", "REPEAT(x'AB', 40)", "'trailing  '")
	}
	return g.text(c)
}

// text returns a string literal for a text column, sometimes one its
// character set cannot hold (the source refuses it or, lax, stores '?').
func (g *Gen) text(c Column) string {
	r := g.r
	s := pick(r, "''", "'a'", "'A'", "'a  '", "'é'", "'ÿ'", "'é€Ω'", "'🍑'", "'it''s'", "'back\\\\slash'", "'nul\\0byte'",
		"'Ж'", "'日本'", "REPEAT('x', 19)", "REPEAT('é', 300)", "'\\t\\n'")
	if r.Intn(3) == 0 {
		s = "_utf8mb4" + s
		if strings.HasPrefix(s, "_utf8mb4REPEAT") {
			s = strings.TrimPrefix(s, "_utf8mb4")
		}
	}
	return s
}

func intValue(r *rand.Rand, typ string, unsigned bool) string {
	bits := map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "bigint": 64}[typ]
	if unsigned {
		max := fmt.Sprint(uint64(1)<<bits - 1)
		if bits == 64 {
			max = "18446744073709551615"
		}
		return pick(r, "0", "1", max, "42")
	}
	max := int64(1)<<(bits-1) - 1
	return pick(r, "0", "-1", fmt.Sprint(max), fmt.Sprint(-max-1), "42")
}
