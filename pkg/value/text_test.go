package value

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestText(t *testing.T) {
	u8 := col("varchar", "varchar(20)", "utf8mb4")
	ch := col("char", "char(10)", "utf8mb4")
	l1 := col("varchar", "varchar(300)", "latin1")
	cp := col("text", "text", "cp1251")
	ucs := col("varchar", "varchar(10)", "ucs2")
	u16 := col("varchar", "varchar(10)", "utf16")
	u16le := col("varchar", "varchar(10)", "utf16le")
	u32 := col("varchar", "varchar(10)", "utf32")
	asc := col("varchar", "varchar(10)", "ascii")
	emoji := "a😀é\u0000z"
	runCases(t, []tc{
		{"utf8mb4 emoji", u8, emoji, []byte(emoji), emoji, emoji},
		{"utf8mb4 text as []byte", col("longtext", "longtext", "utf8mb4"), []byte(emoji), []byte(emoji), emoji, emoji},
		{"empty", u8, "", []byte{}, "", ""},
		{"char", ch, "ab", []byte("ab"), "ab", "ab"},
		{"latin1 euro and C1 holes", l1, "\x80\x81\x8d\x8f\x90\x9d\xff", []byte("€\u0081\u008d\u008f\u0090\u009dÿ"),
			"€\u0081\u008d\u008f\u0090\u009dÿ", "€\u0081\u008d\u008f\u0090\u009dÿ"},
		{"cp1251", cp, []byte("\xcf\xf0\xe8\xe2\xe5\xf2"), []byte("Привет"), "Привет", "Привет"},
		{"ucs2", ucs, "\x00a\x00\xe9\x20\xac", []byte("aé€"), "aé€", "aé€"},
		{"utf16 pair", u16, "\xd8\x3d\xde\x00\x00a", []byte("😀a"), "😀a", "😀a"},
		{"utf16le pair", u16le, "\x3d\xd8\x00\xdea\x00", []byte("😀a"), "😀a", "😀a"},
		{"utf32", u32, "\x00\x01\xf6\x00\x00\x00\x00a", []byte("😀a"), "😀a", "😀a"},
		{"ascii", asc, "abc", []byte("abc"), "abc", "abc"},
	})
	// Every byte 0x80-0xFF of latin1 decodes, as MariaDB's Windows-1252.
	var all []byte
	for b := 0x80; b <= 0xff; b++ {
		all = append(all, byte(b))
	}
	s, err := FromBinlog(l1, string(all))
	if err != nil || utf8.RuneCountInString(s.(string)) != 128 {
		t.Errorf("latin1 0x80-0xFF: %q, %v", s, err)
	}
	bad := []struct {
		col *event.Column
		v   any
	}{
		{u8, "a\xffb"}, {u8, "\xed\xa0\x80"}, {asc, "\x80"}, {col("varchar", "varchar(5)", "greek"), "\xa4"},
		{ucs, "\xd8\x3d"}, {u16, "\xd8\x3d"}, {u16, "\xde\x00\x00a"}, {u32, "\x00\x11\x00\x00"}, {ucs, "\x00"},
		{col("varchar", "varchar(5)", "cp1256"), "\x8a"},
	}
	for _, b := range bad {
		if got, err := FromBinlog(b.col, b.v); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("FromBinlog(%s, %q) = %q, %v; want ErrInvalid", b.col.Charset, b.v, got, err)
		}
	}
	if _, err := FromText(u8, []byte("a\xff")); err == nil {
		t.Error("FromText accepted invalid UTF-8")
	}
	if _, err := ToSQL(u8, "a\xff"); err == nil {
		t.Error("ToSQL accepted invalid UTF-8")
	}
	for _, cs := range []string{"big5", "sjis", "gbk", ""} {
		c := col("varchar", "varchar(5)", cs)
		for _, err := range []error{second(FromBinlog(c, "a")), second(FromText(c, []byte("a")))} {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "c_varchar") {
				t.Errorf("charset %q: error %v; want ErrUnsupported naming the column", cs, err)
			}
		}
	}
}

func TestBytes(t *testing.T) {
	bin4 := col("binary", "binary(4)", "")
	vb := col("varbinary", "varbinary(10)", "")
	blob := col("blob", "blob", "")
	vcb := col("varchar", "varbinary(10)", "binary")
	geo := col("point", "point", "")
	wkb := []byte{0xe6, 0x10, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}
	runCases(t, []tc{
		{"binary(4) trailing zeros", bin4, "ab", []byte("ab\x00\x00"), []byte("ab\x00\x00"), []byte("ab\x00\x00")},
		{"binary(4) all zeros", bin4, "", []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0}},
		{"binary(4) full", bin4, "\xff\x00\x01\x00", []byte("\xff\x00\x01\x00"), []byte("\xff\x00\x01\x00"), []byte("\xff\x00\x01\x00")},
		{"varbinary keeps zeros", vb, "a\x00", []byte("a\x00"), []byte("a\x00"), []byte("a\x00")},
		{"empty blob", blob, []byte{}, []byte{}, []byte{}, []byte{}},
		{"blob", blob, []byte{0, 0xff}, []byte{0, 0xff}, []byte{0, 0xff}, []byte{0, 0xff}},
		{"varchar in charset binary", vcb, "\xff", []byte("\xff"), []byte("\xff"), []byte("\xff")},
		{"geometry", geo, wkb, wkb, wkb, wkb},
	})
	v, _ := FromBinlog(blob, []byte{})
	if b, _ := json.Marshal(v); string(b) != `""` {
		t.Errorf("empty blob marshals as %s, want \"\" (not null)", b)
	}
	if _, err := FromBinlog(bin4, "abcde"); err == nil {
		t.Error("5 bytes accepted for BINARY(4)")
	}
	if _, err := ToSQL(blob, "not base64!"); err == nil {
		t.Error("invalid base64 accepted")
	}
	// The event buffer is reused by nobody, but the result must not alias it.
	buf := []byte{1, 2}
	out, _ := FromBinlog(blob, buf)
	buf[0] = 9
	if out.([]byte)[0] != 1 {
		t.Error("FromBinlog aliases go-mysql's buffer")
	}
}

func TestEnumSet(t *testing.T) {
	e := col("enum", `enum('a,b','it''s','back\\slash','x y','')`, "utf8mb4")
	if want := []string{"a,b", "it's", `back\slash`, "x y", ""}; strings.Join(e.Members, "|") != strings.Join(want, "|") {
		t.Fatalf("members = %q, want %q", e.Members, want)
	}
	plain := col("enum", "enum('x','y')", "utf8mb4")
	if got := SelectExpr(e, "`c`"); got != "(`c`+0)" {
		t.Errorf("SelectExpr(enum with an empty member) = %s, want (`c`+0)", got)
	}
	if got := SelectExpr(plain, "`c`"); got != "`c`" {
		t.Errorf("SelectExpr(enum) = %s, want `c`", got)
	}
	s := col("set", "set('a','b','c')", "latin1")
	names := make([]string, 64)
	quoted := make([]string, 64)
	for i := range names {
		names[i] = string(rune('A'+i%26)) + strings.Repeat("x", i/26)
		quoted[i] = "'" + names[i] + "'"
	}
	s64 := col("set", "set("+strings.Join(quoted, ",")+")", "utf8mb4")
	runCases(t, []tc{
		// e has an empty member: a snapshot reads it by index (SelectExpr),
		// and its invalid value is the number 0, not "" (the member).
		{"enum invalid value", e, int64(0), []byte("0"), int64(0), int64(0)},
		{"enum member with comma", e, int64(1), []byte("1"), "a,b", "a,b"},
		{"enum member with quote", e, int64(2), []byte("2"), "it's", "it's"},
		{"enum member with backslash", e, int64(3), []byte("3"), `back\slash`, `back\slash`},
		{"enum empty member", e, int64(5), []byte("5"), "", ""},
		{"enum without empty member: invalid value", plain, int64(0), []byte(""), "", ""},
		{"enum without empty member: member", plain, int64(2), []byte("y"), "y", "y"},
		{"set empty", s, int64(0), []byte(""), "", ""},
		{"set two", s, int64(5), []byte("a,c"), "a,c", "a,c"},
		{"set all", s, int64(7), []byte("a,b,c"), "a,b,c", "a,b,c"},
		{"set 64 members", s64, int64(-1), []byte(strings.Join(names, ",")), strings.Join(names, ","), strings.Join(names, ",")},
	})
	for _, v := range []any{int64(6), int64(-1), "a"} {
		if got, err := FromBinlog(e, v); err == nil {
			t.Errorf("FromBinlog(enum, %#v) = %#v; want an error", v, got)
		}
	}
	if _, err := FromBinlog(s, int64(8)); err == nil {
		t.Error("SET bit past the members accepted")
	}
	for _, v := range []string{"zz", "a"} {
		if _, err := FromText(e, []byte(v)); err == nil {
			t.Errorf("FromText(enum, %q) accepted a non-member", v)
		}
		if _, err := ToSQL(e, v); err == nil {
			t.Errorf("ToSQL(enum, %q) accepted a non-member", v)
		}
	}
	if _, err := ToSQL(s, "a,d"); err == nil {
		t.Error("ToSQL(set) accepted a non-member")
	}
	if got, _ := FromText(s, []byte("c,a")); got != "a,c" {
		t.Errorf("SET text not put in definition order: %q", got)
	}
}

func TestJSON(t *testing.T) {
	j := col("json", "json", "")
	doc := `{"big":18446744073709551617,"neg":-9223372036854775809,"d":1.0,"e":1.5e-300,"s":"é😀\u0000<&>","n":null,"a":[1,{"k":[]}]}`
	spaced := `{"big": 18446744073709551617, "neg": -9223372036854775809, "d": 1.0, "e": 1.5e-300, "s": "é😀\u0000<&>", "n": null, "a": [1, {"k": []}]}`
	for _, c := range []struct{ binlog, text, want string }{
		{doc, spaced, doc},
		{"9223372036854775809", "9223372036854775809", "9223372036854775809"},
		{`"x"`, `"x"`, `"x"`},
	} {
		b, err1 := FromBinlog(j, c.binlog)
		x, err2 := FromText(j, []byte(c.text))
		want := json.RawMessage(c.want)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(b, want) || !reflect.DeepEqual(x, want) {
			t.Errorf("JSON %s: binlog %s, %v; text %s, %v; want %s", c.want, b, err1, x, err2, want)
		}
		// The sink hands the envelope's raw JSON through: the text survives.
		if got, err := ToSQL(j, b); got != c.want || err != nil {
			t.Errorf("ToSQL(raw %s) = %#v, %v", c.want, got, err)
		}
	}
	// A fully decoded document is marshalled again; MySQL's binary JSON
	// does not keep key order, so only the content must survive.
	got, err := ToSQL(j, jsonRoundTrip(t, json.RawMessage(doc)))
	var a, b any
	_ = json.Unmarshal([]byte(doc), &a)
	if s, ok := got.(string); err != nil || !ok || json.Unmarshal([]byte(s), &b) != nil || !reflect.DeepEqual(a, b) ||
		!strings.Contains(s, "18446744073709551617") || !strings.Contains(s, "1.0") {
		t.Errorf("ToSQL(decoded document) = %#v, %v", got, err)
	}
	if v, err := FromBinlog(j, []byte{}); err != nil || string(v.(json.RawMessage)) != "null" {
		t.Errorf("empty binary JSON = %v, %v; want null", v, err)
	}
	if _, err := FromText(j, []byte("{")); err == nil {
		t.Error("invalid JSON accepted")
	}
	// The envelope carries the document as JSON; encoding/json keeps the
	// big numbers' digits.
	env, _ := json.Marshal(map[string]any{"j": json.RawMessage(doc)})
	if !strings.Contains(string(env), "18446744073709551617") || !strings.Contains(string(env), "1.0") {
		t.Errorf("envelope lost digits: %s", env)
	}
	for _, v := range []any{json.RawMessage(doc), doc, map[string]any{"a": json.Number("18446744073709551617")}} {
		if _, err := ToSQL(j, v); err != nil {
			t.Errorf("ToSQL(json, %T): %v", v, err)
		}
	}
	// MariaDB's JSON is LONGTEXT: text, kept byte for byte.
	lt := col("longtext", "longtext", "utf8mb4")
	if v, _ := FromBinlog(lt, []byte(spaced)); v != spaced {
		t.Errorf("MariaDB JSON text changed: %q", v)
	}
}

func TestUnsupportedAndErrors(t *testing.T) {
	for _, dt := range []string{"uuid", "inet6", "inet4", "vector", "xml", ""} {
		c := &event.Column{Name: "weird", DataType: dt, ColumnType: dt}
		for _, err := range []error{
			second(FromBinlog(c, "x")), second(FromText(c, []byte("x"))), second(ToSQL(c, "x")),
		} {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"weird"`) {
				t.Errorf("type %q: error %v; want ErrUnsupported naming the column", dt, err)
			}
		}
	}
	c := col("tinyint", "tinyint(3) unsigned", "")
	c.Name = "age"
	_, err := FromBinlog(c, int16(300))
	if err == nil || !strings.Contains(err.Error(), `"age"`) || !strings.Contains(err.Error(), "tinyint(3) unsigned") {
		t.Errorf("error %v does not name the column and its type", err)
	}
	for _, f := range []func() (any, error){
		func() (any, error) { return FromBinlog(nil, 1) },
		func() (any, error) { return FromText(nil, nil) },
		func() (any, error) { return ToSQL(nil, 1) },
	} {
		if _, err := f(); err == nil {
			t.Error("nil column accepted")
		}
	}
	if v, err := FromBinlog(c, nil); v != nil || err != nil {
		t.Errorf("NULL = %#v, %v", v, err)
	}
	if v, err := FromText(c, nil); v != nil || err != nil {
		t.Errorf("NULL = %#v, %v", v, err)
	}
	if v, err := ToSQL(c, nil); v != nil || err != nil {
		t.Errorf("NULL = %#v, %v", v, err)
	}
}

func second(_ any, err error) error { return err }

func TestDescribeColumn(t *testing.T) {
	cases := []struct {
		in   event.Column
		want event.Column
	}{
		{event.Column{ColumnType: "int(10) unsigned"}, event.Column{DataType: "int", ColumnType: "int(10) unsigned", Unsigned: true}},
		{event.Column{DataType: "BIGINT", ColumnType: "bigint(20) unsigned zerofill"}, event.Column{DataType: "bigint", ColumnType: "bigint(20) unsigned zerofill", Unsigned: true}},
		{event.Column{DataType: "decimal", ColumnType: "decimal(65,30)"}, event.Column{DataType: "decimal", ColumnType: "decimal(65,30)", Precision: 65, Scale: 30}},
		{event.Column{DataType: "datetime", ColumnType: "datetime(6)"}, event.Column{DataType: "datetime", ColumnType: "datetime(6)", Scale: 6}},
		{event.Column{DataType: "time", ColumnType: "time"}, event.Column{DataType: "time", ColumnType: "time"}},
		{event.Column{DataType: "enum", ColumnType: `enum('a','c\nd','')`}, event.Column{DataType: "enum", ColumnType: `enum('a','c\nd','')`, Members: []string{"a", "c\nd", ""}}},
		{event.Column{DataType: "set", ColumnType: "set('x')", Members: []string{"kept"}}, event.Column{DataType: "set", ColumnType: "set('x')", Members: []string{"kept"}}},
		{event.Column{DataType: "enum", ColumnType: "enum('a"}, event.Column{DataType: "enum", ColumnType: "enum('a"}},
	}
	for _, c := range cases {
		got := c.in
		DescribeColumn(&got)
		if !equalColumns(got, c.want) {
			t.Errorf("DescribeColumn(%+v) = %+v, want %+v", c.in, got, c.want)
		}
	}
	bad := &event.Column{Name: "e", DataType: "enum", ColumnType: "enum('a"}
	if _, err := FromBinlog(bad, int64(1)); err == nil {
		t.Error("a broken member list went unreported")
	}
	if got := SelectExpr(col("float", "float", ""), "`f`"); got != "CAST(`f` AS DOUBLE)" {
		t.Errorf("SelectExpr(float) = %s", got)
	}
	if got := SelectExpr(col("int", "int(11)", ""), "`i`"); got != "`i`" {
		t.Errorf("SelectExpr(int) = %s", got)
	}
}

func equalColumns(a, b event.Column) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
