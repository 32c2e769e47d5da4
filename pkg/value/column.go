package value

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// kind is the encoding family of a column, derived from its DataType.
type kind int

const (
	kindInt kind = iota + 1
	kindDecimal
	kindFloat
	kindDouble
	kindBit
	kindYear
	kindDate
	kindDatetime
	kindTimestamp
	kindTime
	kindText
	kindBytes
	kindEnum
	kindSet
	kindJSON
	kindGeometry
)

// intWidth maps the integer DATA_TYPEs to their width in bits.
var intWidth = map[string]int{
	"tinyint": 8, "bool": 8, "boolean": 8,
	"smallint":  16,
	"mediumint": 24,
	"int":       32, "integer": 32,
	"bigint": 64,
}

var kinds = map[string]kind{
	"decimal": kindDecimal, "numeric": kindDecimal, "dec": kindDecimal, "fixed": kindDecimal,
	"float": kindFloat, "double": kindDouble, "real": kindDouble, "double precision": kindDouble,
	"bit": kindBit, "year": kindYear, "date": kindDate, "datetime": kindDatetime,
	"timestamp": kindTimestamp, "time": kindTime,
	"char": kindText, "varchar": kindText, "tinytext": kindText, "text": kindText,
	"mediumtext": kindText, "longtext": kindText,
	"binary": kindBytes, "varbinary": kindBytes, "tinyblob": kindBytes, "blob": kindBytes,
	"mediumblob": kindBytes, "longblob": kindBytes,
	"enum": kindEnum, "set": kindSet, "json": kindJSON,
	"geometry": kindGeometry, "point": kindGeometry, "linestring": kindGeometry,
	"polygon": kindGeometry, "multipoint": kindGeometry, "multilinestring": kindGeometry,
	"multipolygon": kindGeometry, "geometrycollection": kindGeometry, "geomcollection": kindGeometry,
}

// kindOf classifies c. Text columns in the binary character set are bytes.
func kindOf(c *event.Column) (kind, error) {
	dt := dataType(c)
	k, ok := allKinds[dt]
	if !ok {
		return 0, fmt.Errorf("%w: data type %q", ErrUnsupported, dt)
	}
	if k == kindText && strings.EqualFold(c.Charset, "binary") {
		return kindBytes, nil
	}
	return k, nil
}

// allKinds is kinds with the integer types of intWidth: one lookup per
// value.
var allKinds = func() map[string]kind {
	m := make(map[string]kind, len(kinds)+len(intWidth))
	for t, k := range kinds {
		m[t] = k
	}
	for t := range intWidth {
		m[t] = kindInt
	}
	return m
}()

// dataType is c.DataType in lower case, or the first word of ColumnType
// when DataType is empty.
func dataType(c *event.Column) string {
	if c.DataType != "" {
		return strings.ToLower(c.DataType)
	}
	t := strings.ToLower(strings.TrimSpace(c.ColumnType))
	if i := strings.IndexAny(t, "( "); i >= 0 {
		t = t[:i]
	}
	return t
}

// isUnsigned reports whether an integer column is unsigned (ZEROFILL implies
// UNSIGNED).
func isUnsigned(c *event.Column) bool {
	t := strings.ToLower(c.ColumnType)
	return c.Unsigned || strings.Contains(t, "unsigned") || strings.Contains(t, "zerofill")
}

// typeArgs returns the text between the first '(' of ColumnType and its
// last ')', or "" when there is none: "6" for "datetime(6)", "10,2" for
// "decimal(10,2) unsigned".
func typeArgs(columnType string) string {
	i := strings.IndexByte(columnType, '(')
	j := strings.LastIndexByte(columnType, ')')
	if i < 0 || j < i {
		return ""
	}
	return columnType[i+1 : j]
}

// fsp returns the fractional-seconds precision of a temporal column: Scale,
// else the length in ColumnType ("datetime(3)"), else 0.
func fsp(c *event.Column) (int, error) {
	n := c.Scale
	if n == 0 {
		if a := typeArgs(c.ColumnType); a != "" {
			var err error
			if n, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
				return 0, fmt.Errorf("%w: column type %q", ErrInvalid, c.ColumnType)
			}
		}
	}
	if n < 0 || n > 6 {
		return 0, fmt.Errorf("%w: fractional seconds precision %d", ErrInvalid, n)
	}
	return n, nil
}

// decimalSpec returns the precision and scale of a DECIMAL column: the
// Precision/Scale fields when Precision is set, else ColumnType's
// "(p,s)", else MySQL's default DECIMAL(10,0).
func decimalSpec(c *event.Column) (prec, scale int, err error) {
	if c.Precision > 0 {
		return c.Precision, c.Scale, nil
	}
	a := typeArgs(c.ColumnType)
	if a == "" {
		return 10, 0, nil
	}
	ps, ss, _ := strings.Cut(a, ",")
	if prec, err = strconv.Atoi(strings.TrimSpace(ps)); err == nil && ss != "" {
		scale, err = strconv.Atoi(strings.TrimSpace(ss))
	}
	if err != nil || prec <= 0 || scale < 0 || scale > prec {
		return 0, 0, fmt.Errorf("%w: column type %q", ErrInvalid, c.ColumnType)
	}
	return prec, scale, nil
}

// binaryLength returns n for a fixed-length BINARY(n) column and 0 for
// every other bytes column. The binlog strips BINARY's trailing zero bytes;
// the length is needed to put them back.
func binaryLength(c *event.Column) (int, error) {
	dt := dataType(c)
	if dt != "binary" && dt != "char" {
		return 0, nil
	}
	a := typeArgs(c.ColumnType)
	if a == "" {
		if strings.TrimSpace(c.ColumnType) == "" {
			return 0, fmt.Errorf("%w: BINARY column without ColumnType: its length is needed to restore trailing zero bytes", ErrInvalid)
		}
		return 1, nil // BINARY means BINARY(1)
	}
	n, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%w: column type %q", ErrInvalid, c.ColumnType)
	}
	return n, nil
}

// members returns the ENUM or SET members of c: c.Members, else parsed from
// ColumnType.
func members(c *event.Column) ([]string, error) {
	if len(c.Members) > 0 {
		return c.Members, nil
	}
	m, err := parseMembers(c.ColumnType)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: no members in column type %q", ErrInvalid, c.ColumnType)
	}
	return m, nil
}

// parseMembers reads the quoted member list of an ENUM or SET ColumnType as
// information_schema.COLUMNS.COLUMN_TYPE and SHOW CREATE TABLE print it:
// each member in single quotes, a quote inside doubled, a backslash
// escaping the next character (MariaDB prints a newline as \n).
func parseMembers(columnType string) ([]string, error) {
	list := strings.TrimSpace(typeArgs(columnType))
	var out []string
	for i := 0; i < len(list); {
		if list[i] != '\'' {
			return nil, fmt.Errorf("%w: member list %q: expected a quote at offset %d", ErrInvalid, list, i)
		}
		var b strings.Builder
		i++
		for {
			if i >= len(list) {
				return nil, fmt.Errorf("%w: member list %q: unterminated member", ErrInvalid, list)
			}
			ch := list[i]
			switch {
			case ch == '\'' && i+1 < len(list) && list[i+1] == '\'':
				b.WriteByte('\'')
				i += 2
				continue
			case ch == '\'':
				i++
			case ch == '\\' && i+1 < len(list):
				b.WriteByte(unescape(list[i+1]))
				i += 2
				continue
			default:
				b.WriteByte(ch)
				i++
				continue
			}
			break
		}
		out = append(out, b.String())
		if i < len(list) {
			if list[i] != ',' {
				return nil, fmt.Errorf("%w: member list %q: expected a comma at offset %d", ErrInvalid, list, i)
			}
			i++
		}
	}
	return out, nil
}

// unescape maps the character after a backslash in a quoted SQL string.
func unescape(ch byte) byte {
	switch ch {
	case '0':
		return 0
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'Z':
		return 0x1a
	}
	return ch
}

// DescribeColumn fills in what can be derived from c.ColumnType when the
// caller only read DataType and ColumnType: DataType (lower case), Unsigned,
// Members of ENUM and SET columns, Precision and Scale of DECIMAL columns,
// and Scale (fractional seconds) of temporal columns. Fields already set
// are kept. It never fails: a ColumnType it cannot parse leaves the field
// empty, and FromBinlog, FromText and ToSQL then report the problem.
func DescribeColumn(c *event.Column) {
	c.DataType = dataType(c)
	if _, ok := intWidth[c.DataType]; ok && isUnsigned(c) {
		c.Unsigned = true
	}
	switch kinds[c.DataType] {
	case kindEnum, kindSet:
		if len(c.Members) == 0 {
			if m, err := parseMembers(c.ColumnType); err == nil {
				c.Members = m
			}
		}
	case kindDecimal:
		if c.Precision == 0 {
			if p, s, err := decimalSpec(c); err == nil {
				c.Precision, c.Scale = p, s
			}
		}
		c.Unsigned = c.Unsigned || isUnsigned(c)
	case kindDatetime, kindTimestamp, kindTime:
		if n, err := fsp(c); err == nil {
			c.Scale = n
		}
	}
}

// SelectExpr returns the expression a snapshot SELECT must list for column
// c, whose quoted identifier is quoted, so that FromText receives a
// lossless text form. MariaDB prints FLOAT with six significant digits
// (1.2345678 reads back as "1.23457"), so FLOAT and DOUBLE are read through
// CAST(... AS DOUBLE), which prints the shortest text that round-trips.
// An ENUM with an empty member is read by its index (enumByIndex). Every
// other column is read as it is.
func SelectExpr(c *event.Column, quoted string) string {
	switch dataType(c) {
	case "float", "double", "real", "double precision":
		return "CAST(" + quoted + " AS DOUBLE)"
	case "enum":
		if enumByIndex(c) {
			return "(" + quoted + "+0)" // text.go: the index tells '' from the invalid value
		}
	}
	return quoted
}
