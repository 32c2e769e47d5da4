package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// col builds a column the way the source does: information_schema's
// DATA_TYPE, COLUMN_TYPE and CHARACTER_SET_NAME, then DescribeColumn.
func col(dataType, columnType, charset string) *event.Column {
	c := &event.Column{Name: "c_" + dataType, DataType: dataType, ColumnType: columnType, Charset: charset}
	DescribeColumn(c)
	return c
}

// noBinlog marks a case without a binlog input.
type noBinlog struct{}

// tc is one stored value: what go-mysql yields for it, what the text
// protocol returns, the encoded form both must give, and the argument
// ToSQL must produce after a JSON round trip.
type tc struct {
	name   string
	col    *event.Column
	binlog any    // noBinlog{} to skip
	text   []byte // nil to skip
	want   any
	sql    any
}

func runCases(t *testing.T, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, skip := c.binlog.(noBinlog); !skip {
				got, err := FromBinlog(c.col, c.binlog)
				if err != nil || !reflect.DeepEqual(got, c.want) {
					t.Errorf("FromBinlog(%#v) = %#v, %v; want %#v", c.binlog, got, err, c.want)
				}
			}
			if c.text != nil {
				got, err := FromText(c.col, c.text)
				if err != nil || !reflect.DeepEqual(got, c.want) {
					t.Errorf("FromText(%q) = %#v, %v; want %#v", c.text, got, err, c.want)
				}
			}
			got, err := ToSQL(c.col, jsonRoundTrip(t, c.want))
			if err != nil || !reflect.DeepEqual(got, c.sql) {
				t.Errorf("ToSQL(round trip of %#v) = %#v (%T), %v; want %#v (%T)", c.want, got, got, err, c.sql, c.sql)
			}
		})
	}
}

// jsonRoundTrip marshals v as the envelope does and decodes it as the sink
// does.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(map[string]any{"v": v})
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return m["v"]
}

func TestIntegers(t *testing.T) {
	ti, tiu := col("tinyint", "tinyint(4)", ""), col("tinyint", "tinyint(3) unsigned", "")
	si, siu := col("smallint", "smallint(6)", ""), col("smallint", "smallint(5) unsigned", "")
	mi, miu := col("mediumint", "mediumint(9)", ""), col("mediumint", "mediumint(8) unsigned", "")
	in, inu := col("int", "int(11)", ""), col("int", "int(10) unsigned", "")
	bi, biu := col("bigint", "bigint(20)", ""), col("bigint", "bigint(20) unsigned", "")
	zf := col("int", "int(8) unsigned zerofill", "")
	runCases(t, []tc{
		{"tinyint min", ti, int8(-128), []byte("-128"), int64(-128), int64(-128)},
		{"tinyint max", ti, int8(127), []byte("127"), int64(127), int64(127)},
		{"tinyint unsigned max as signed", tiu, int8(-1), []byte("255"), uint64(255), uint64(255)},
		{"tinyint unsigned max with metadata", tiu, uint8(255), nil, uint64(255), uint64(255)},
		{"tinyint unsigned 128", tiu, int8(-128), []byte("128"), uint64(128), uint64(128)},
		{"tinyint unsigned min", tiu, int8(0), []byte("0"), uint64(0), uint64(0)},
		{"smallint min", si, int16(math.MinInt16), []byte("-32768"), int64(-32768), int64(-32768)},
		{"smallint max", si, int16(math.MaxInt16), []byte("32767"), int64(32767), int64(32767)},
		{"smallint unsigned max", siu, int16(-1), []byte("65535"), uint64(65535), uint64(65535)},
		{"mediumint min", mi, int32(-8388608), []byte("-8388608"), int64(-8388608), int64(-8388608)},
		{"mediumint max", mi, int32(8388607), []byte("8388607"), int64(8388607), int64(8388607)},
		{"mediumint unsigned max", miu, int32(-1), []byte("16777215"), uint64(16777215), uint64(16777215)},
		{"mediumint unsigned 2^23", miu, int32(-8388608), []byte("8388608"), uint64(8388608), uint64(8388608)},
		{"mediumint unsigned with metadata", miu, uint32(16777215), nil, uint64(16777215), uint64(16777215)},
		{"int min", in, int32(math.MinInt32), []byte("-2147483648"), int64(math.MinInt32), int64(math.MinInt32)},
		{"int max", in, int32(math.MaxInt32), []byte("2147483647"), int64(math.MaxInt32), int64(math.MaxInt32)},
		{"int unsigned max", inu, int32(-1), []byte("4294967295"), uint64(math.MaxUint32), uint64(math.MaxUint32)},
		{"bigint min", bi, int64(math.MinInt64), []byte("-9223372036854775808"), int64(math.MinInt64), int64(math.MinInt64)},
		{"bigint max", bi, int64(math.MaxInt64), []byte("9223372036854775807"), int64(math.MaxInt64), int64(math.MaxInt64)},
		{"bigint unsigned max", biu, int64(-1), []byte("18446744073709551615"), uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"bigint unsigned 2^63", biu, int64(math.MinInt64), []byte("9223372036854775808"), uint64(1 << 63), uint64(1 << 63)},
		{"bigint unsigned with metadata", biu, uint64(math.MaxUint64), nil, uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"zerofill", zf, int32(42), []byte("00000042"), uint64(42), uint64(42)},
	})
	for _, c := range []struct {
		col *event.Column
		v   any
	}{
		{ti, int16(128)}, {tiu, int16(256)}, {tiu, int16(-129)}, {mi, int32(8388608)}, {miu, int32(16777216)},
		{miu, int32(-8388609)}, {in, int64(math.MaxInt32 + 1)}, {in, uint32(1)}, {ti, "1"}, {bi, 1.0},
	} {
		if got, err := FromBinlog(c.col, c.v); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("FromBinlog(%s, %#v) = %#v, %v; want ErrInvalid", c.col.ColumnType, c.v, got, err)
		}
	}
	for _, c := range []struct {
		col *event.Column
		v   string
	}{{ti, "128"}, {tiu, "-1"}, {miu, "16777216"}, {biu, "18446744073709551616"}, {bi, "1.5"}, {in, ""}} {
		if got, err := FromText(c.col, []byte(c.v)); err == nil {
			t.Errorf("FromText(%s, %q) = %#v; want an error", c.col.ColumnType, c.v, got)
		}
		if got, err := ToSQL(c.col, json.Number(c.v)); err == nil {
			t.Errorf("ToSQL(%s, %q) = %#v; want an error", c.col.ColumnType, c.v, got)
		}
	}
	if _, err := ToSQL(bi, float64(1)); err == nil {
		t.Error("ToSQL accepted a float64 for BIGINT: digits past 2^53 would be lost")
	}
}

func TestDecimal(t *testing.T) {
	d65 := col("decimal", "decimal(65,30)", "")
	d10 := col("decimal", "decimal(10,0)", "")
	d4 := col("decimal", "decimal(10,4)", "")
	max65 := strings.Repeat("9", 35) + "." + strings.Repeat("9", 30)
	runCases(t, []tc{
		{"65,30 max", d65, max65, []byte(max65), max65, max65},
		{"65,30 min", d65, "-" + max65, []byte("-" + max65), "-" + max65, "-" + max65},
		{"65,30 smallest negative", d65, "-0.000000000000000000000000000001", []byte("-0.000000000000000000000000000001"),
			"-0.000000000000000000000000000001", "-0.000000000000000000000000000001"},
		{"65,30 zero", d65, "0.000000000000000000000000000000", []byte("0.000000000000000000000000000000"),
			"0.000000000000000000000000000000", "0.000000000000000000000000000000"},
		{"scale 0", d10, "-1234567890", []byte("-1234567890"), "-1234567890", "-1234567890"},
		{"scale 4", d4, "123.4500", []byte("123.4500"), "123.4500", "123.4500"},
		{"padded to scale", d4, "123.45", []byte("000123.450000"), "123.4500", "123.4500"},
		{"negative zero", d4, "-0.0000", []byte("0.0000"), "0.0000", "0.0000"},
	})
	for _, s := range []string{"1.00001", "1234567", "1e3", "", "-", "1.2.3", "abc", " 1"} {
		if got, err := FromText(d4, []byte(s)); err == nil {
			t.Errorf("FromText(decimal(10,4), %q) = %#v; want an error", s, got)
		}
	}
	if got, err := FromBinlog(d4, 1.5); err == nil {
		t.Errorf("FromBinlog accepted a float for DECIMAL: %#v", got)
	}
}

func TestFloats(t *testing.T) {
	f, d := col("float", "float", ""), col("double", "double", "")
	f73 := col("float", "float(7,3)", "")
	runCases(t, []tc{
		{"float 1.1", f, float32(1.1), []byte("1.100000023841858"), 1.1, float64(float32(1.1))},
		{"float 1.1 shortest text", f, float32(1.1), []byte("1.1"), 1.1, float64(float32(1.1))},
		{"float 1.2345678", f, float32(1.2345678), []byte("1.2345677614212036"), 1.2345678, float64(float32(1.2345678))},
		{"float max", f, float32(math.MaxFloat32), []byte("3.4028234663852886e38"), 3.4028235e38, float64(float32(3.4028235e38))},
		{"float smallest denormal", f, float32(1e-45), []byte("1.401298464324817e-45"), 1e-45, float64(float32(1e-45))},
		{"float negative zero", f, float32(math.Copysign(0, -1)), []byte("-0"), 0.0, float64(float32(0.0))},
		{"float(7,3)", f73, float32(1.1), []byte("1.100"), 1.1, float64(float32(1.1))},
		{"double 1e-300", d, 1e-300, []byte("1e-300"), 1e-300, 1e-300},
		{"double 1e300", d, 1e300, []byte("1e300"), 1e300, 1e300},
		{"double max", d, math.MaxFloat64, []byte("1.7976931348623157e308"), math.MaxFloat64, math.MaxFloat64},
		{"double smallest normal", d, 2.2250738585072014e-308, []byte("2.2250738585072014e-308"), 2.2250738585072014e-308, 2.2250738585072014e-308},
		{"double denormal", d, 5e-324, []byte("5e-324"), 5e-324, 5e-324},
		{"double 0.1+0.2", d, 0.30000000000000004, []byte("0.30000000000000004"), 0.30000000000000004, 0.30000000000000004},
		{"double negative zero", d, math.Copysign(0, -1), []byte("-0"), 0.0, 0.0},
		{"double negative", d, -1.5, []byte("-1.5"), -1.5, -1.5},
	})
	// -0 is folded: MariaDB prints it as 0 and never stores it in DOUBLE.
	got, _ := FromBinlog(d, math.Copysign(0, -1))
	if math.Signbit(got.(float64)) {
		t.Error("negative zero kept; the snapshot would print 0")
	}
	b, _ := json.Marshal(float64(float32Must(FromBinlog(f, float32(1.1)))))
	if string(b) != "1.1" {
		t.Errorf("FLOAT 1.1 marshals as %s", b)
	}
	for _, s := range []string{"1e39", "nan", "", "0x1p-2x"} {
		if got, err := FromText(f, []byte(s)); err == nil {
			t.Errorf("FromText(float, %q) = %#v; want an error", s, got)
		}
	}
	if _, err := FromBinlog(d, math.NaN()); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := FromBinlog(f, 1.1); err == nil {
		t.Error("a float64 that is no float32 accepted for FLOAT")
	}
}

func float32Must(v any, err error) float64 {
	if err != nil {
		panic(err)
	}
	return v.(float64)
}

func TestBitYear(t *testing.T) {
	b1, b64, b10 := col("bit", "bit(1)", ""), col("bit", "bit(64)", ""), col("bit", "bit(10)", "")
	y := col("year", "year(4)", "")
	runCases(t, []tc{
		{"bit(1) 1", b1, int64(1), []byte{1}, uint64(1), uint64(1)},
		{"bit(1) 0", b1, int64(0), []byte{0}, uint64(0), uint64(0)},
		{"bit(64) max", b64, int64(-1), bytes.Repeat([]byte{0xff}, 8), uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"bit(64) top bit", b64, int64(math.MinInt64), []byte{0x80, 0, 0, 0, 0, 0, 0, 0}, uint64(1 << 63), uint64(1 << 63)},
		{"bit(10) max", b10, int64(1023), []byte{0x03, 0xff}, uint64(1023), uint64(1023)},
		{"year 0000", y, 0, []byte("0000"), int64(0), int64(0)},
		{"year min", y, 1901, []byte("1901"), int64(1901), int64(1901)},
		{"year max", y, 2155, []byte("2155"), int64(2155), int64(2155)},
	})
	if _, err := FromText(b64, make([]byte, 9)); err == nil {
		t.Error("9-byte BIT accepted")
	}
	if _, err := FromBinlog(y, 1900); err == nil {
		t.Error("year 1900 accepted")
	}
}

func TestTemporal(t *testing.T) {
	date := col("date", "date", "")
	dt0, dt3, dt6 := col("datetime", "datetime", ""), col("datetime", "datetime(3)", ""), col("datetime", "datetime(6)", "")
	ts0, ts6 := col("timestamp", "timestamp", ""), col("timestamp", "timestamp(6)", "")
	tm0, tm2, tm6 := col("time", "time", ""), col("time", "time(2)", ""), col("time", "time(6)", "")
	runCases(t, []tc{
		{"date", date, "2024-02-29", []byte("2024-02-29"), "2024-02-29", "2024-02-29"},
		{"zero date", date, "0000-00-00", []byte("0000-00-00"), "0000-00-00", "0000-00-00"},
		{"date min", date, "1000-01-01", []byte("1000-01-01"), "1000-01-01", "1000-01-01"},
		{"datetime", dt0, "9999-12-31 23:59:59", []byte("9999-12-31 23:59:59"), "9999-12-31 23:59:59", "9999-12-31 23:59:59"},
		{"zero datetime", dt0, "0000-00-00 00:00:00", []byte("0000-00-00 00:00:00"), "0000-00-00 00:00:00", "0000-00-00 00:00:00"},
		{"datetime(3)", dt3, "2020-01-02 03:04:05.120", []byte("2020-01-02 03:04:05.120"), "2020-01-02 03:04:05.120", "2020-01-02 03:04:05.120"},
		{"datetime(6) whole second", dt6, "2020-01-02 03:04:05", []byte("2020-01-02 03:04:05.000000"), "2020-01-02 03:04:05.000000", "2020-01-02 03:04:05.000000"},
		{"zero datetime(6)", dt6, "0000-00-00 00:00:00.000000", []byte("0000-00-00 00:00:00.000000"), "0000-00-00 00:00:00.000000", "0000-00-00 00:00:00.000000"},
		{"timestamp", ts0, "2038-01-19 03:14:07", []byte("2038-01-19 03:14:07"), "2038-01-19 03:14:07", "2038-01-19 03:14:07"},
		{"timestamp(6)", ts6, "1970-01-01 00:00:01.000001", []byte("1970-01-01 00:00:01.000001"), "1970-01-01 00:00:01.000001", "1970-01-01 00:00:01.000001"},
		{"zero timestamp", ts0, "0000-00-00 00:00:00", []byte("0000-00-00 00:00:00"), "0000-00-00 00:00:00", "0000-00-00 00:00:00"},
		{"time min", tm0, "-838:59:59", []byte("-838:59:59"), "-838:59:59", "-838:59:59"},
		{"time max", tm0, "838:59:59", []byte("838:59:59"), "838:59:59", "838:59:59"},
		{"time zero", tm0, "00:00:00", []byte("00:00:00"), "00:00:00", "00:00:00"},
		{"time(6) max", tm6, "838:59:59", []byte("838:59:59.000000"), "838:59:59.000000", "838:59:59.000000"},
		{"time(6) min", tm6, "-838:59:59", []byte("-838:59:59.000000"), "-838:59:59.000000", "-838:59:59.000000"},
		{"time(6) zero", tm6, "00:00:00", []byte("00:00:00.000000"), "00:00:00.000000", "00:00:00.000000"},
		{"time(2) negative fraction", tm2, "-00:00:00.01", []byte("-00:00:00.01"), "-00:00:00.01", "-00:00:00.01"},
		{"time over a day", tm2, "100:00:00.50", []byte("100:00:00.50"), "100:00:00.50", "100:00:00.50"},
	})
	bad := []struct {
		col *event.Column
		s   string
	}{
		{dt3, "2020-01-02 03:04:05.1234"}, {dt0, "2020-01-02T03:04:05"}, {dt0, "2020-01-02 03:04:05."},
		{date, "2020-1-2"}, {tm0, "1:00:00"}, {tm0, "8385:00:00"}, {tm2, "00:00:00.001"}, {ts0, "now"},
	}
	for _, b := range bad {
		if got, err := FromText(b.col, []byte(b.s)); err == nil {
			t.Errorf("FromText(%s, %q) = %#v; want an error", b.col.ColumnType, b.s, got)
		}
	}
	if _, err := FromBinlog(dt0, struct{}{}); err == nil || !strings.Contains(err.Error(), "ParseTime=false") {
		t.Errorf("FromBinlog(datetime, time.Time-like) error = %v; want a hint at ConfigureSyncer", err)
	}
}

// TestSupported: the types and character sets FromBinlog refuses are
// named by Supported before any value is read.
func TestSupported(t *testing.T) {
	for _, c := range []struct {
		col event.Column
		bad string
	}{
		{event.Column{Name: "a", DataType: "int", ColumnType: "int(11)"}, ""},
		{event.Column{Name: "b", DataType: "varchar", ColumnType: "varchar(5)", Charset: "latin1"}, ""},
		{event.Column{Name: "ip", DataType: "inet6", ColumnType: "inet6"}, `column "ip" (inet6): unsupported: data type "inet6"`},
		{event.Column{Name: "u", DataType: "uuid", ColumnType: "uuid"}, `data type "uuid"`},
		{event.Column{Name: "s", DataType: "varchar", ColumnType: "varchar(5)", Charset: "sjis"}, `character set "sjis"`},
	} {
		err := Supported(&c.col)
		if (err == nil) != (c.bad == "") || err != nil && (!strings.Contains(err.Error(), c.bad) || !errors.Is(err, ErrUnsupported)) {
			t.Errorf("Supported(%s %s) = %v, want %q", c.col.Name, c.col.ColumnType, err, c.bad)
		}
	}
}
