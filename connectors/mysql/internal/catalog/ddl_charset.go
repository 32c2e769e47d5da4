package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
)

// parserMu guards the TiDB parser's global character set tables, which
// registerCharsets extends, against parses running meanwhile.
var parserMu sync.RWMutex

// extraCharsets are character sets MySQL and MariaDB have and the TiDB
// parser does not know, with their default collations; without them a
// column declared in one of them would not parse.
var extraCharsets = map[string]string{
	"latin2": "latin2_general_ci", "latin5": "latin5_turkish_ci", "latin7": "latin7_general_ci",
	"greek": "greek_general_ci", "hebrew": "hebrew_general_ci", "cp1250": "cp1250_general_ci",
	"cp1251": "cp1251_general_ci", "cp1256": "cp1256_general_ci", "cp1257": "cp1257_general_ci",
	"cp850": "cp850_general_ci", "cp852": "cp852_general_ci", "cp866": "cp866_general_ci",
	"koi8r": "koi8r_general_ci", "koi8u": "koi8u_general_ci", "macroman": "macroman_general_ci",
	"ucs2": "ucs2_general_ci", "utf16": "utf16_general_ci", "utf32": "utf32_general_ci",
	"utf16le": "utf16le_general_ci", "cp932": "cp932_japanese_ci", "sjis": "sjis_japanese_ci",
	"ujis": "ujis_japanese_ci", "euckr": "euckr_korean_ci", "big5": "big5_chinese_ci",
	"gb2312": "gb2312_chinese_ci", "tis620": "tis620_thai_ci", "armscii8": "armscii8_general_ci",
	"geostd8": "geostd8_general_ci", "keybcs2": "keybcs2_general_ci", "dec8": "dec8_swedish_ci",
	"hp8": "hp8_english_ci", "swe7": "swe7_swedish_ci", "macce": "macce_general_ci",
	"cp1252": "latin1_swedish_ci", "eucjpms": "eucjpms_japanese_ci",
}

func init() {
	for cs, co := range extraCharsets {
		addCollation(0, cs, co, true)
	}
}

// addCollation registers a character set and collation with the parser
// when it lacks them. The caller holds parserMu for writing (or runs in init).
func addCollation(id int, cs, co string, isDefault bool) {
	if _, err := charset.GetCharsetInfo(cs); err != nil {
		charset.AddCharset(&charset.Charset{Name: cs, DefaultCollation: co, Collations: map[string]*charset.Collation{}, Maxlen: 4})
	}
	if _, err := charset.GetCollationByName(co); err != nil {
		charset.AddCollation(&charset.Collation{ID: id, CharsetName: cs, Name: co, IsDefault: isDefault, Sortlen: 1})
	}
}

// RegisterCharsets teaches the parser every collation the source server
// has, so that DDL naming any of them parses.
func RegisterCharsets(ctx context.Context, db *sql.DB) error {
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT COLLATION_NAME, CHARACTER_SET_NAME, ID, IS_DEFAULT FROM information_schema.COLLATIONS WHERE CHARACTER_SET_NAME IS NOT NULL AND ID IS NOT NULL")
	if err != nil {
		return fmt.Errorf("read collations: %w", err)
	}
	defer rows.Close()
	type coll struct {
		name, cs string
		id       int
		def      bool
	}
	var all []coll
	for rows.Next() {
		var c coll
		var def sql.NullString
		if err := rows.Scan(&c.name, &c.cs, &c.id, &def); err != nil {
			return err
		}
		c.def = strings.EqualFold(def.String, "Yes")
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	parserMu.Lock()
	defer parserMu.Unlock()
	for _, c := range all {
		addCollation(c.id, strings.ToLower(c.cs), strings.ToLower(c.name), c.def)
	}
	return nil
}

// collationCharset is the character set a collation belongs to, as the
// parser's tables (extended by RegisterCharsets with the server's) know
// it, else the collation name's first part (utf8mb4_unicode_ci: utf8mb4).
func collationCharset(collation string) string {
	co := strings.ToLower(collation)
	parserMu.RLock()
	c, err := charset.GetCollationByName(co)
	parserMu.RUnlock()
	if err == nil && c.CharsetName != "" {
		return NormCharset(c.CharsetName)
	}
	cs, _, _ := strings.Cut(co, "_")
	return NormCharset(cs)
}

// NormCharset is a character set's name as MariaDB 10.6+ and MySQL 8
// report it in information_schema: the parser's "utf8" is utf8mb3.
func NormCharset(cs string) string {
	cs = strings.ToLower(cs)
	if cs == "utf8" {
		return "utf8mb3"
	}
	return cs
}

// IsCharsetName reports whether s can be a character set or collation
// name (letters, digits, underscores), safe to put in a statement
// unquoted; definitions come from the wire.
func IsCharsetName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// tableCharset is the default character set and collation of a CREATE
// TABLE: a COLLATE names both and wins over CHARACTER SET wherever it
// stands (the server refuses the two when they disagree); a CHARACTER SET
// alone brings its default collation (returned as ""); without either,
// the database's character set.
func tableCharset(ct *ast.CreateTableStmt, dbCharset string) (cs, collation string) {
	for _, o := range ct.Options {
		switch o.Tp {
		case ast.TableOptionCharset:
			if cs == "" {
				cs = NormCharset(o.StrValue)
			}
		case ast.TableOptionCollate:
			return collationCharset(o.StrValue), strings.ToLower(o.StrValue)
		}
	}
	if cs == "" {
		cs = dbCharset
	}
	return cs, ""
}

// setTableCharset gives the table of ct the default character set and
// collation an ALTER TABLE's options named, as MariaDB does (checked on
// 10.11): a COLLATE sets both, in whatever order the two options stand,
// and a CHARACTER SET alone resets the collation to its default. The
// table's earlier options of both kinds are replaced.
func setTableCharset(ct *ast.CreateTableStmt, cs, co string) {
	if co != "" {
		cs = collationCharset(co)
	}
	var opts []*ast.TableOption
	for _, o := range ct.Options {
		if o.Tp != ast.TableOptionCharset && o.Tp != ast.TableOptionCollate {
			opts = append(opts, o)
		}
	}
	opts = append(opts, &ast.TableOption{Tp: ast.TableOptionCharset, StrValue: cs, UintValue: ast.TableOptionCharsetWithoutConvertTo})
	if co != "" {
		opts = append(opts, &ast.TableOption{Tp: ast.TableOptionCollate, StrValue: co})
	}
	ct.Options = opts
}

// pinTableCharset gives a CREATE TABLE without a character set or
// collation of its own the database's (cs, and co unless it is cs's
// default), as the server does: the definition then says what the table
// got, and a table a sink creates from it later gets the same, whatever
// its database's defaults are by then.
func pinTableCharset(ct *ast.CreateTableStmt, cs, co string) {
	if cs == "" || ct.ReferTable != nil {
		return
	}
	for _, o := range ct.Options {
		if o.Tp == ast.TableOptionCharset || o.Tp == ast.TableOptionCollate {
			return
		}
	}
	ct.Options = append(ct.Options, &ast.TableOption{Tp: ast.TableOptionCharset, StrValue: cs, UintValue: ast.TableOptionCharsetWithoutConvertTo})
	if co != "" {
		ct.Options = append(ct.Options, &ast.TableOption{Tp: ast.TableOptionCollate, StrValue: co})
	}
}

// pinColumnCharsets gives the columns of ct that have a character set and
// take the table's (none of their own, not added or redefined by the
// ALTER: changed) the table's current character set and collation
// explicitly, before an ALTER TABLE changes the table's: the server keeps
// them as they are (ALTER TABLE t COLLATE x changes no column), and a
// table created from the definition must too (found by checking tables
// made from definitions against the server).
func pinColumnCharsets(ct *ast.CreateTableStmt, dbCharset string, changed map[string]bool) {
	cs, co := tableCharset(ct, dbCharset)
	if cs == "" {
		return
	}
	for _, cd := range ct.Cols {
		tp := cd.Tp
		if tp == nil || !hasCharset(tp.GetType()) || changed[strings.ToLower(cd.Name.Name.O)] ||
			tp.GetCharset() != "" || tp.GetCollate() != "" ||
			slices.ContainsFunc(cd.Options, func(o *ast.ColumnOption) bool { return o.Tp == ast.ColumnOptionCollate }) {
			continue
		}
		tp = tp.Clone()
		tp.SetCharset(cs)
		tp.SetCollate(co)
		cd.Tp = tp
	}
}

// binaryStrings turns the text columns of ct whose character set or
// collation is binary into the binary types the server makes of them
// (CHAR(n) COLLATE binary is BINARY(n), TEXT CHARACTER SET binary is BLOB),
// without the COLLATE binary that the server refuses after a BLOB type.
// ENUM and SET keep their type.
func binaryStrings(ct *ast.CreateTableStmt) {
	for _, cd := range ct.Cols {
		tp := cd.Tp
		if tp == nil {
			continue
		}
		switch tp.GetType() {
		case mysql.TypeString, mysql.TypeVarchar, mysql.TypeVarString, mysql.TypeTinyBlob, mysql.TypeBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob:
		default:
			continue
		}
		binary := strings.EqualFold(tp.GetCharset(), "binary") || strings.EqualFold(tp.GetCollate(), "binary")
		kept := cd.Options[:0:0]
		for _, o := range cd.Options {
			if o.Tp == ast.ColumnOptionCollate && strings.EqualFold(o.StrValue, "binary") {
				binary = true
				continue
			}
			kept = append(kept, o)
		}
		if !binary {
			continue
		}
		tp = tp.Clone()
		tp.SetCharset("binary")
		tp.SetCollate("binary")
		tp.AddFlag(mysql.BinaryFlag)
		cd.Tp, cd.Options = tp, kept
	}
}
