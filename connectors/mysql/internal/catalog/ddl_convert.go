package catalog

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// convertTo applies ALTER TABLE ... CONVERT TO CHARACTER SET cs [COLLATE co]
// to ct as MariaDB does (checked on 10.11): every column that has a
// character set (CHAR, VARCHAR, the TEXT types, ENUM, SET) takes cs and co
// (or cs's default collation), keeping its length in characters; a
// TINYTEXT, TEXT or MEDIUMTEXT whose length in bytes no longer fits is
// widened to the next TEXT type (TEXT latin1 to utf8mb4 becomes
// MEDIUMTEXT), unless this ALTER added or redefined it (it is in changed
// already). The table's default becomes cs and co too. It adds the
// lower-case names of the columns it changed to changed. dbCharset stands
// for CHARACTER SET DEFAULT.
func convertTo(ct *ast.CreateTableStmt, cs, co, dbCharset string, changed map[string]bool) error {
	if strings.EqualFold(cs, "default") || cs == "" && co == "" {
		cs = dbCharset
	}
	if co != "" {
		cs = collationCharset(co)
	}
	cs = NormCharset(cs)
	if cs == "" || cs == "binary" {
		return fmt.Errorf("CONVERT TO CHARACTER SET %q is not supported: it turns text columns into binary ones", cs)
	}
	newMax := charsetMaxlen(cs)
	tableCS, _ := tableCharset(ct, dbCharset)
	for _, cd := range ct.Cols {
		tp := cd.Tp
		if !hasCharset(tp.GetType()) {
			continue
		}
		oldCS := columnCharset(cd, tableCS)
		if oldCS == "binary" {
			continue
		}
		tp = tp.Clone()
		switch tp.GetType() {
		case mysql.TypeTinyBlob, mysql.TypeBlob, mysql.TypeMediumBlob:
			if changed[strings.ToLower(cd.Name.Name.O)] {
				break // added or redefined by this ALTER: declared in the new character set
			}
			chars := textBytes(tp.GetType()) / charsetMaxlen(oldCS)
			tp.SetType(textTypeFor(chars * newMax))
			tp.SetFlen(-1)
		}
		tp.SetCharset("")
		tp.SetCollate("")
		tp.DelFlag(mysql.BinaryFlag) // VARCHAR(n) BINARY: a _bin collation, replaced
		cd.Tp = tp
		kept := cd.Options[:0:0]
		for _, o := range cd.Options {
			if o.Tp != ast.ColumnOptionCollate {
				kept = append(kept, o)
			}
		}
		cd.Options = kept
		changed[strings.ToLower(cd.Name.Name.O)] = true
	}
	setTableCharset(ct, cs, co)
	return nil
}

// hasCharset reports whether columns of a parser type carry a character
// set (unless declared binary).
func hasCharset(tp byte) bool {
	switch tp {
	case mysql.TypeString, mysql.TypeVarchar, mysql.TypeVarString, mysql.TypeTinyBlob, mysql.TypeBlob,
		mysql.TypeMediumBlob, mysql.TypeLongBlob, mysql.TypeEnum, mysql.TypeSet:
		return true
	}
	return false
}

// columnCharset is the character set of a column definition: its own,
// its collation's, or the table's; "binary" for BINARY, VARBINARY and the
// BLOB types.
func columnCharset(cd *ast.ColumnDef, tableCS string) string {
	tp := cd.Tp
	if strings.EqualFold(tp.GetCharset(), "binary") {
		return "binary"
	}
	for _, o := range cd.Options {
		if o.Tp == ast.ColumnOptionCollate {
			return collationCharset(o.StrValue)
		}
	}
	switch {
	case tp.GetCollate() != "":
		return collationCharset(tp.GetCollate())
	case tp.GetCharset() != "":
		return NormCharset(tp.GetCharset())
	}
	return tableCS
}

// textBytes is the length in bytes of a TEXT type.
func textBytes(tp byte) int {
	switch tp {
	case mysql.TypeTinyBlob:
		return 255
	case mysql.TypeBlob:
		return 65535
	}
	return 16777215
}

// textTypeFor is the smallest TEXT type holding n bytes.
func textTypeFor(n int) byte {
	switch {
	case n <= 255:
		return mysql.TypeTinyBlob
	case n <= 65535:
		return mysql.TypeBlob
	case n <= 16777215:
		return mysql.TypeMediumBlob
	}
	return mysql.TypeLongBlob
}

// charsetMaxlen is the longest character of a character set, in bytes.
func charsetMaxlen(cs string) int {
	switch NormCharset(cs) {
	case "utf8mb4", "utf16", "utf16le", "utf32", "gb18030":
		return 4
	case "utf8mb3", "ujis", "eucjpms":
		return 3
	case "ucs2", "big5", "gbk", "gb2312", "sjis", "cp932", "euckr":
		return 2
	}
	return 1
}
