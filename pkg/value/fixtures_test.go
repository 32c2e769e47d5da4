package value

import (
	"fmt"
	"strings"
)

// typeColumns is one column of every type package value encodes.
var typeColumns = []struct{ name, def string }{
	{"id", "INT NOT NULL PRIMARY KEY"},
	{"ti", "TINYINT"}, {"tiu", "TINYINT UNSIGNED"}, {"si", "SMALLINT"}, {"siu", "SMALLINT UNSIGNED"},
	{"mi", "MEDIUMINT"}, {"miu", "MEDIUMINT UNSIGNED"}, {"i", "INT"}, {"iu", "INT UNSIGNED"},
	{"bi", "BIGINT"}, {"biu", "BIGINT UNSIGNED"}, {"izf", "INT(8) UNSIGNED ZEROFILL"}, {"bo", "BOOLEAN"},
	{"dec65", "DECIMAL(65,30)"}, {"dec10", "DECIMAL(10,0)"}, {"dec55", "DECIMAL(5,5)"}, {"decu", "DECIMAL(12,4) UNSIGNED"},
	{"f", "FLOAT"}, {"d", "DOUBLE"}, {"f73", "FLOAT(7,3)"}, {"d102", "DOUBLE(10,2)"},
	{"b1", "BIT(1)"}, {"b10", "BIT(10)"}, {"b64", "BIT(64)"},
	{"y", "YEAR"}, {"dt", "DATE"}, {"dtm", "DATETIME"}, {"dtm3", "DATETIME(3)"}, {"dtm6", "DATETIME(6)"},
	{"ts", "TIMESTAMP NULL DEFAULT NULL"}, {"ts3", "TIMESTAMP(3) NULL DEFAULT NULL"}, {"ts6", "TIMESTAMP(6) NULL DEFAULT NULL"},
	{"tm", "TIME"}, {"tm1", "TIME(1)"}, {"tm2", "TIME(2)"}, {"tm4", "TIME(4)"}, {"tm6", "TIME(6)"},
	{"c", "CHAR(10) CHARACTER SET utf8mb4"}, {"vc", "VARCHAR(100) CHARACTER SET utf8mb4"},
	{"vc3", "VARCHAR(20) CHARACTER SET utf8mb3"}, {"tx", "TEXT CHARACTER SET utf8mb4"},
	{"lt", "LONGTEXT CHARACTER SET utf8mb4"},
	{"l1", "VARCHAR(300) CHARACTER SET latin1"}, {"cl1", "CHAR(5) CHARACTER SET latin1"},
	{"tl1", "TEXT CHARACTER SET latin1"}, {"l2", "VARCHAR(100) CHARACTER SET latin2"},
	{"cyr", "VARCHAR(200) CHARACTER SET cp1251"}, {"gr", "VARCHAR(100) CHARACTER SET greek"},
	{"uc2", "VARCHAR(20) CHARACTER SET ucs2"}, {"u16", "VARCHAR(20) CHARACTER SET utf16"},
	{"u16le", "VARCHAR(20) CHARACTER SET utf16le"}, {"u32", "VARCHAR(20) CHARACTER SET utf32"},
	{"cu32", "CHAR(4) CHARACTER SET utf32"}, {"asc", "VARCHAR(20) CHARACTER SET ascii"},
	{"bn", "BINARY(4)"}, {"vb", "VARBINARY(10)"}, {"tb", "TINYBLOB"}, {"bl", "BLOB"}, {"mb", "MEDIUMBLOB"}, {"lb", "LONGBLOB"},
	{"e", `ENUM('a,b','it''s','back\\slash','x y')`}, {"e2", "ENUM('one','two')"},
	{"e3", "ENUM('ü','ß') CHARACTER SET latin1"}, {"s", "SET('a','b','c')"},
	{"j", "JSON"}, {"g", "GEOMETRY"}, {"pt", "POINT"}, {"poly", "POLYGON"},
}

// createTable returns the CREATE TABLE for typeColumns.
func createTable(name string) string {
	defs := make([]string, len(typeColumns))
	for i, c := range typeColumns {
		defs[i] = fmt.Sprintf("`%s` %s", c.name, c.def)
	}
	return fmt.Sprintf("CREATE TABLE %s (\n%s\n) DEFAULT CHARSET=utf8mb4", name, strings.Join(defs, ",\n"))
}

// hexRange returns an SQL hex literal of the bytes lo..hi. (cp1251 has no
// 0x98: the cyr column skips it by gluing two ranges.)
func hexRange(lo, hi int) string {
	var b strings.Builder
	b.WriteString("0x")
	for i := lo; i <= hi; i++ {
		fmt.Fprintf(&b, "%02X", i)
	}
	return b.String()
}

var (
	nines65  = strings.Repeat("9", 35) + "." + strings.Repeat("9", 30)
	bigJSON  = `'{"big": 18446744073709551617, "neg": -9223372036854775809, "d": 1.0E+300, "u": "é😀\\u00e9", "a": [ ] }'`
	polygon  = "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))')"
	lenient1 = 5 // the row inserted in non-strict mode
)

// typeRows are SQL literals by column; absent columns are NULL. Row
// lenient1 holds an invalid ENUM value (index 0), which only a non-strict
// session can write.
var typeRows = []map[string]string{
	{ // minima, zero dates, empty strings
		"id": "1", "ti": "-128", "tiu": "0", "si": "-32768", "siu": "0", "mi": "-8388608", "miu": "0",
		"i": "-2147483648", "iu": "0", "bi": "-9223372036854775808", "biu": "0", "izf": "0", "bo": "0",
		"dec65": "-" + nines65, "dec10": "-9999999999", "dec55": "-0.99999", "decu": "0",
		"f": "-3.4028234e38", "d": "-1.7976931348623157e308", "f73": "-9999.999", "d102": "-99999999.99",
		"b1": "b'0'", "b10": "b'0'", "b64": "0", "y": "0",
		"dt": "'0000-00-00'", "dtm": "'0000-00-00 00:00:00'", "dtm3": "'1000-01-01 00:00:00.000'",
		"dtm6": "'0000-00-00 00:00:00.000000'", "ts": "'1970-01-01 00:00:01'", "ts3": "'0000-00-00 00:00:00.000'",
		"ts6": "'1970-01-01 00:00:01.000000'", "tm": "'-838:59:59'", "tm1": "'-838:59:58.9'", "tm2": "'-00:00:00.01'",
		"tm4": "'-00:00:01.0001'", "tm6": "'-838:59:59.000000'",
		"c": "''", "vc": "''", "vc3": "''", "tx": "''", "lt": "''", "l1": "''", "cl1": "''", "tl1": "''", "l2": "''",
		"cyr": "''", "gr": "''", "uc2": "''", "u16": "''", "u16le": "''", "u32": "''", "cu32": "''", "asc": "''",
		"bn": "''", "vb": "''", "tb": "''", "bl": "''", "mb": "''", "lb": "''",
		"e": "'a,b'", "e2": "'one'", "e3": "'ü'", "s": "''", "j": "'{}'",
		"g": "ST_GeomFromText('POINT(0 0)')", "pt": "ST_GeomFromText('POINT(-1.5 1e-300)', 4326)", "poly": polygon,
	},
	{ // maxima, every non-ASCII byte of the 8-bit character sets
		"id": "2", "ti": "127", "tiu": "255", "si": "32767", "siu": "65535", "mi": "8388607", "miu": "16777215",
		"i": "2147483647", "iu": "4294967295", "bi": "9223372036854775807", "biu": "18446744073709551615",
		"izf": "4294967295", "bo": "127", "dec65": nines65, "dec10": "9999999999", "dec55": "0.99999",
		"decu": "99999999.9999", "f": "3.4028234e38", "d": "1.7976931348623157e308", "f73": "9999.999",
		"d102": "99999999.99", "b1": "b'1'", "b10": "b'1111111111'", "b64": "18446744073709551615", "y": "2155",
		"dt": "'9999-12-31'", "dtm": "'9999-12-31 23:59:59'", "dtm3": "'9999-12-31 23:59:59.999'",
		"dtm6": "'9999-12-31 23:59:59.999999'", "ts": "'2038-01-19 03:14:07'", "ts3": "'2038-01-19 03:14:07.999'",
		"ts6": "'2038-01-19 03:14:07.999999'", "tm": "'838:59:59'", "tm1": "'838:59:58.9'", "tm2": "'838:59:58.99'",
		"tm4": "'838:59:58.9999'", "tm6": "'838:59:59.000000'",
		"c": "'😀😀😀😀😀😀😀😀😀😀'", "vc": "REPEAT('€', 100)", "vc3": "'ü'", "tx": "'a\\nb\\tc\\\\'",
		"lt": "REPEAT('0123456789abcdef', 8192)", "l1": "_latin1 " + hexRange(0x20, 0xFF), "cl1": "'ÿÿÿÿÿ'",
		"tl1": "_latin1 " + hexRange(0x80, 0xFF), "l2": "_latin2 " + hexRange(0xA0, 0xFF),
		"cyr": "_cp1251 " + hexRange(0x80, 0x97) + hexRange(0x99, 0xFF)[2:], "gr": "_greek " + hexRange(0xB4, 0xD1),
		"uc2": "'€ä'", "u16": "'😀€'", "u16le": "'😀€'", "u32": "'😀€'", "cu32": "'😀'", "asc": "'~'",
		"bn": "0xFFFFFFFF", "vb": "0x00FF00", "tb": "0x00", "bl": hexRange(0, 255), "mb": "REPEAT(0xDEADBEEF, 20000)",
		"lb": "0x00", "e": "'x y'", "e2": "'two'", "e3": "'ß'", "s": "'a,b,c'", "j": bigJSON,
		"g": "ST_GeomFromText('LINESTRING(0 0, 1e300 -1e300, 3 4)')", "pt": "ST_GeomFromText('POINT(1e300 -1e300)')",
		"poly": polygon,
	},
	{ // the unsigned values whose signed form is negative, fractions, trailing spaces
		"id": "3", "ti": "-1", "tiu": "128", "si": "-1", "siu": "32768", "mi": "-1", "miu": "8388608", "i": "-1",
		"iu": "2147483648", "bi": "-1", "biu": "9223372036854775808", "izf": "42", "bo": "1",
		"dec65": "-0.000000000000000000000000000001", "dec10": "0", "dec55": "0.00001", "decu": "1.5",
		"f": "1.1", "d": "0.1e0 + 0.2e0", "f73": "1.1", "d102": "1.1", "b1": "b'1'", "b10": "512",
		"b64": "9223372036854775808", "y": "1901", "dt": "'2024-02-29'", "dtm": "'2020-01-02 03:04:05'",
		"dtm3": "'2020-01-02 03:04:05.100'", "dtm6": "'2020-01-02 03:04:05.000001'", "ts": "'2020-06-01 12:00:00'",
		"ts3": "'2020-06-01 12:00:00.5'", "ts6": "'2020-06-01 12:00:00.000001'", "tm": "'00:00:00'",
		"tm1": "'-00:00:00.1'", "tm2": "'100:00:00.5'", "tm4": "'-12:34:56.7891'", "tm6": "'-00:00:00.000001'",
		"c": "'ab  '", "vc": "'trailing  '", "vc3": "'日本'", "tx": "'😀'", "lt": `'{"a":1}'`, "l1": "'Grüße €'",
		"cl1": "'é'", "tl1": "'x'", "l2": "'Łódź'", "cyr": "'Привет'", "gr": "'Καλημέρα'", "uc2": "'aé€'",
		"u16": "'a'", "u16le": "'é'", "u32": "'€'", "cu32": "'ab'", "asc": "'plain'", "bn": "'ab'", "vb": "'a'",
		"tb": "0x0000", "bl": "''", "mb": "0xDEADBEEF", "lb": "'x'", "e": "'it''s'", "e2": "'one'", "e3": "'ü'",
		"s": "'b'", "j": `'[1, 2.50, "x", {"k": null}]'`,
		"g":  "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))')",
		"pt": "ST_GeomFromText('POINT(1 2)', 4326)", "poly": polygon,
	},
	{"id": "4"}, // all NULL
	{"id": "5", "e": `'back\\slash'`, "e2": "'not a member'", "s": "'c,a'"},
	{"id": "6", "f": "1e-45", "d": "5e-324", "f73": "0", "d102": "0"},
	{"id": "7", "f": "-1.5e-40", "d": "2.2250738585072014e-308", "dec65": "0"},
	{"id": "8", "f": "1.2345678", "d": "1e-300", "tm6": "'00:00:00.5'"},
	{"id": "9", "f": "16777217", "d": "1e300", "tm2": "'-00:00:01.5'"},
}
