package catalog

import (
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// MariaDB column syntax the TiDB parser does not know is parsed through a
// placeholder that RestoreSQL prints back:
//   - INVISIBLE on a column (MariaDB 10.3, MySQL 8.0.23) as STORAGE MEMORY,
//     an NDB column option InnoDB servers ignore and MariaDB does not
//     have. The column is in every row image all the same.
//
// MySQL's ALTER INDEX i INVISIBLE, which TiDB parses, is left alone.
//
// Column types the TiDB parser does not know (spatial types, MariaDB's
// INET4, INET6 and UUID) are parsed as VECTOR(n) with n from
// foreignTypes, an unused dimension: columnFromDef maps them back, and
// RestoreSQL prints them back under their own names, so definitions in the
// schema history keep them.

// foreignTypes are the types parsed as VECTOR(foreignBase + index).
var foreignTypes = []string{"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
	"multipolygon", "geometrycollection", "inet6", "inet4", "uuid"}

const foreignBase = 16001

const invisiblePlaceholder = "STORAGE MEMORY"

// defaultExprFunc stands for a DEFAULT (expression): TiDB parses function
// calls there, not arithmetic, so the expression travels hex-encoded as
// the argument of a function no server has, and prints back as written.
const defaultExprFunc = "sluice_default_expr"

var defaultExprRe = regexp.MustCompile(`(?i)\b` + defaultExprFunc + `\('([0-9a-f]*)'\)`)

var invisibleRe = regexp.MustCompile(`\bSTORAGE MEMORY\b`)

// engineOptions are InnoDB's engine-defined table options in MariaDB,
// which SHOW CREATE TABLE prints quoted (`PAGE_COMPRESSED`='1') and the
// TiDB parser does not know. One is parsed as a CONNECTION option holding
// its text hex-encoded (engineOptionPrefix), which RestoreSQL prints back.
var engineOptions = map[string]bool{"PAGE_COMPRESSED": true, "PAGE_COMPRESSION_LEVEL": true, "ENCRYPTED": true,
	"ENCRYPTION_KEY_ID": true, "IETF_QUOTES": true}

const engineOptionPrefix = "sluice_engine_option:"

var engineOptionRe = regexp.MustCompile(`(?i)\bCONNECTION = '` + engineOptionPrefix + `([0-9a-f]*)'`)

// engineOption returns the end of the engine-defined table option whose
// name (quoted or not) spans q[i:j], and its text, or -1 when q[i:j] is
// not one: the name, "=", and a quoted or bare value.
func engineOption(q string, i, j int) (int, string) {
	if !engineOptions[strings.ToUpper(strings.Trim(q[i:j], "`"))] {
		return -1, ""
	}
	k := j
	for k < len(q) && (q[k] == ' ' || q[k] == '\t' || q[k] == '\n' || q[k] == '\r') {
		k++
	}
	if k >= len(q) || q[k] != '=' {
		return -1, ""
	}
	k++
	for k < len(q) && (q[k] == ' ' || q[k] == '\t') {
		k++
	}
	switch {
	case k < len(q) && (q[k] == '\'' || q[k] == '"'):
		k = quotedEnd(q, k)
	default:
		for k < len(q) && isWordByte(q[k]) {
			k++
		}
	}
	return k, q[i:k]
}

var foreignIndex = func() map[string]int {
	m := map[string]int{"geomcollection": 7}
	for i, t := range foreignTypes {
		m[strings.ToUpper(t)] = i
		m[t] = i
	}
	m["GEOMCOLLECTION"] = 7
	return m
}()

var foreignRe = regexp.MustCompile(`(?i)\bVECTOR\((160(?:0[1-9]|1[0-9]))\)`)

// foreignTypeOf returns the type a VECTOR(n) column stands for, or "".
func foreignTypeOf(flen int) string {
	if i := flen - foreignBase; i >= 0 && i < len(foreignTypes) {
		return foreignTypes[i]
	}
	return ""
}

var (
	rtreeKeyRe    = regexp.MustCompile("(?i)\\b(INDEX|KEY)( ?`(?:[^`]|``)*`)?\\(([^()]*)\\) USING RTREE")
	rtreeCreateRe = regexp.MustCompile(`(?is)^CREATE INDEX (.*) USING RTREE$`)
)

// restoreForeignTypes prints the placeholders of q back as their types,
// and RTREE indexes as SPATIAL ones.
func restoreForeignTypes(q string) string {
	q = invisibleRe.ReplaceAllString(q, "INVISIBLE")
	q = engineOptionRe.ReplaceAllStringFunc(q, func(m string) string {
		b, _ := hex.DecodeString(engineOptionRe.FindStringSubmatch(m)[1])
		return string(b)
	})
	q = enumCharsetRe.ReplaceAllStringFunc(q, func(m string) string {
		b, _ := hex.DecodeString(enumCharsetRe.FindStringSubmatch(m)[1])
		return string(b)
	})
	q = defaultExprRe.ReplaceAllStringFunc(q, func(m string) string {
		b, _ := hex.DecodeString(defaultExprRe.FindStringSubmatch(m)[1])
		return string(b)
	})
	q = rtreeCreateRe.ReplaceAllString(q, "CREATE SPATIAL INDEX $1")
	q = rtreeKeyRe.ReplaceAllString(q, "SPATIAL $1$2($3)")
	return foreignRe.ReplaceAllStringFunc(q, func(m string) string {
		n, _ := strconv.Atoi(foreignRe.FindStringSubmatch(m)[1])
		if t := foreignTypeOf(n); t != "" {
			return strings.ToUpper(t)
		}
		return m
	})
}

// forParser returns q without the INVISIBLE column attributes and with
// foreign column types as placeholders, outside quotes and comments, and
// with PERSISTENT generated columns as STORED. A
// type is a type keyword that follows a name (the column's) and is not a
// function call.
func forParser(q string) string {
	if strings.Contains(strings.ToUpper(q), "STORAGE") {
		return q // the placeholder would be ambiguous: let the parser say what it thinks
	}
	var b strings.Builder
	var prev []string // the words (and "," "(") outside quotes, upper case
	spatial := false  // a SPATIAL index whose USING RTREE is still to write
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '`' && engineOptionAt(q, i, quotedEnd(q, i), &b, &i):
		case c == '\'' || c == '"' || c == '`':
			j := quotedEnd(q, i)
			b.WriteString(q[i:j])
			prev = append(prev, "?")
			i = j
		case c == '/' && strings.HasPrefix(q[i:], "/*") && !strings.HasPrefix(q[i:], "/*!") && !strings.HasPrefix(q[i:], "/*M!"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j+4])
			i += j + 4
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			if engineOptionAt(q, i, j, &b, &i) {
				continue
			}
			w := strings.ToUpper(q[i:j])
			n := len(prev)
			indexName := n >= 2 && (prev[n-2] == "INDEX" || prev[n-2] == "KEY")
			if w == "INVISIBLE" && !indexName {
				b.WriteString(invisiblePlaceholder)
				i = j
				continue
			}
			if w == "DEFAULT" && callFollows(q, j) { // DEFAULT (expr) -> DEFAULT (sluice_default_expr('hex'))
				open := strings.IndexByte(q[j:], '(') + j
				if end := closingParen(q, open); end > 0 {
					b.WriteString(q[i:j] + " (" + defaultExprFunc + "('" + hex.EncodeToString([]byte(q[open+1:end])) + "'))")
					prev = append(prev, w)
					i = end + 1
					continue
				}
			}
			if w == "PERSISTENT" && strings.HasSuffix(strings.TrimRight(q[:i], " \t\r\n"), ")") {
				b.WriteString("STORED") // AS (expr) PERSISTENT: MariaDB's word for STORED, which it prints
				prev = append(prev, w)
				i = j
				continue
			}
			if w == "SPATIAL" { // SPATIAL KEY k (g) -> KEY k USING RTREE (g)
				spatial = true
				i = j
				continue
			}
			if w == "ON" && spatial { // CREATE SPATIAL INDEX i ON t (g)
				b.WriteString("USING RTREE ")
				spatial = false
			}
			if k, ok := foreignIndex[w]; ok && n >= 1 && prev[n-1] != "," && prev[n-1] != "(" && !callFollows(q, j) {
				b.WriteString("VECTOR(" + strconv.Itoa(foreignBase+k) + ")")
				prev = append(prev, w)
				i = j
				continue
			}
			b.WriteString(q[i:j])
			prev = append(prev, w)
			i = j
		default:
			if c == '(' && spatial {
				b.WriteString("USING RTREE ")
				spatial = false
			}
			if c == ',' || c == '(' {
				prev = append(prev, string(c))
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// quotedEnd returns the index just past the quoted string, identifier or
// name that starts at q[i], with doubled and (in strings) backslashed
// quotes inside it.
func quotedEnd(q string, i int) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch {
		case q[j] == '\\' && quote != '`':
			j++
		case q[j] == quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

// closingParen returns the index of the parenthesis that closes the one
// at q[open], skipping quoted strings and names; -1 when there is none.
func closingParen(q string, open int) int {
	depth := 0
	for i := open; i < len(q); i++ {
		switch q[i] {
		case '\'', '"', '`':
			i = quotedEnd(q, i) - 1
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// callFollows reports whether q[j:] starts with optional spaces and "(".
func callFollows(q string, j int) bool {
	for j < len(q) && (q[j] == ' ' || q[j] == '\t' || q[j] == '\n' || q[j] == '\r') {
		j++
	}
	return j < len(q) && q[j] == '('
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// trimLeadingComments returns q without the whitespace and the comments
// (/* */, -- and #, not executable /*! or /*M! ones) it starts with, so the
// rewrites anchored at the statement's start see its first keyword.
func trimLeadingComments(q string) string {
	for {
		t := strings.TrimLeft(q, " \t\r\n")
		switch {
		case strings.HasPrefix(t, "/*") && !strings.HasPrefix(t, "/*!") && !strings.HasPrefix(t, "/*M!"):
			end := strings.Index(t[2:], "*/")
			if end < 0 {
				return t
			}
			q = t[end+4:]
		case strings.HasPrefix(t, "#") || strings.HasPrefix(t, "-- ") || strings.HasPrefix(t, "--\t") || strings.HasPrefix(t, "--\n"):
			nl := strings.IndexByte(t, '\n')
			if nl < 0 {
				return ""
			}
			q = t[nl+1:]
		default:
			return t
		}
	}
}

// enumCharsetRe matches the placeholder enumCharsets prints.
var enumCharsetRe = regexp.MustCompile(`(?i)\bCOLLATE sluice_enum_charset_([0-9a-f]*)\b`)

// enumCharsets works around the parser's printer, which leaves out the
// character set and collation of an ENUM or SET column's type (`c SET('p')
// CHARACTER SET utf8mb3` printed as `c SET('p')`: the replica's column got
// the table's character set; found by the differential fuzzer): each such
// column of n gets a COLLATE option holding them as a placeholder, which
// restoreForeignTypes prints back; and a COLLATE binary after a binary
// type is left out. The function returned puts the options back as they
// were.
func enumCharsets(n ast.Node) func() {
	v := &columnDefs{}
	n.Accept(v)
	var added []*ast.ColumnDef
	type hidden struct {
		cd   *ast.ColumnDef
		opts []*ast.ColumnOption
	}
	var restore []hidden
	for _, cd := range v.cols {
		// BLOB, BINARY and VARBINARY print as such; a COLLATE binary after
		// them is refused by the server (TINYBLOB COLLATE binary: a sink
		// stalled on it, seed 11): left out while printing.
		if tp := cd.Tp; tp != nil && strings.EqualFold(tp.GetCharset(), "binary") && tp.GetType() != mysql.TypeEnum && tp.GetType() != mysql.TypeSet {
			kept := cd.Options[:0:0]
			for _, o := range cd.Options {
				if !(o.Tp == ast.ColumnOptionCollate && strings.EqualFold(o.StrValue, "binary")) {
					kept = append(kept, o)
				}
			}
			if len(kept) != len(cd.Options) {
				restore = append(restore, hidden{cd, cd.Options})
				cd.Options = kept
			}
		}
	}
	for _, cd := range v.cols {
		tp := cd.Tp
		if tp == nil || tp.GetType() != mysql.TypeEnum && tp.GetType() != mysql.TypeSet {
			continue
		}
		cs, co := tp.GetCharset(), tp.GetCollate()
		if cs == "" && co == "" || slices.ContainsFunc(cd.Options, func(o *ast.ColumnOption) bool { return o.Tp == ast.ColumnOptionCollate }) {
			continue
		}
		var text []string
		if cs != "" {
			text = append(text, "CHARACTER SET "+cs)
		}
		if co != "" {
			text = append(text, "COLLATE "+co)
		}
		// First: CHARACTER SET must follow the type, before DEFAULT and the rest.
		cd.Options = append([]*ast.ColumnOption{{Tp: ast.ColumnOptionCollate,
			StrValue: "sluice_enum_charset_" + hex.EncodeToString([]byte(strings.Join(text, " ")))}}, cd.Options...)
		added = append(added, cd)
	}
	return func() {
		for _, cd := range added {
			cd.Options = cd.Options[1:]
		}
		for _, h := range restore {
			h.cd.Options = h.opts
		}
	}
}

// columnDefs collects the column definitions of a statement.
type columnDefs struct{ cols []*ast.ColumnDef }

func (v *columnDefs) Enter(n ast.Node) (ast.Node, bool) {
	if cd, ok := n.(*ast.ColumnDef); ok {
		v.cols = append(v.cols, cd)
	}
	return n, false
}

func (v *columnDefs) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// engineOptionAt writes the placeholder of the engine-defined table option
// whose name spans q[i:j] to b and moves *at past it, when it is one.
func engineOptionAt(q string, i, j int, b *strings.Builder, at *int) bool {
	end, text := engineOption(q, i, j)
	if end < 0 {
		return false
	}
	b.WriteString("CONNECTION = '" + engineOptionPrefix + hex.EncodeToString([]byte(text)) + "'")
	*at = end
	return true
}

// engineOptionName is the upper-case name of the engine-defined table
// option o holds as a placeholder (engineOptionAt), "" for any other
// option: two such options are different options.
func engineOptionName(o *ast.TableOption) string {
	h, ok := strings.CutPrefix(o.StrValue, engineOptionPrefix)
	if o.Tp != ast.TableOptionConnection || !ok {
		return ""
	}
	b, _ := hex.DecodeString(h)
	name, _, _ := strings.Cut(string(b), "=")
	return strings.ToUpper(strings.Trim(strings.TrimSpace(name), "`"))
}
