package value

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGoldenEnvelope pins the JSON that one row of every type becomes in
// the envelope's "after" object: the event format consumers see.
func TestGoldenEnvelope(t *testing.T) {
	row := []struct {
		name  string
		col   string // DATA_TYPE|COLUMN_TYPE|CHARSET
		value any    // as go-mysql yields it
	}{
		{"tinyint_unsigned", "tinyint|tinyint(3) unsigned|", int8(-1)},
		{"mediumint_unsigned", "mediumint|mediumint(8) unsigned|", int32(-1)},
		{"bigint", "bigint|bigint(20)|", int64(math.MinInt64)},
		{"bigint_unsigned", "bigint|bigint(20) unsigned|", int64(-1)},
		{"decimal_65_30", "decimal|decimal(65,30)|", "-0.000000000000000000000000000001"},
		{"decimal_10_4", "decimal|decimal(10,4)|", "123.45"},
		{"float", "float|float|", float32(1.1)},
		{"double", "double|double|", 1e-300},
		{"bit_64", "bit|bit(64)|", int64(-1)},
		{"year_zero", "year|year(4)|", 0},
		{"date_zero", "date|date|", "0000-00-00"},
		{"datetime_6", "datetime|datetime(6)|", "2020-01-02 03:04:05"},
		{"timestamp_3", "timestamp|timestamp(3)|", "2038-01-19 03:14:07.999"},
		{"time_6_min", "time|time(6)|", "-838:59:59"},
		{"varchar_utf8mb4", "varchar|varchar(10)|utf8mb4", "é😀<&>"},
		{"varchar_latin1", "varchar|varchar(10)|latin1", "\x80\x81\xff"},
		{"binary_4", "binary|binary(4)|", "ab"},
		{"blob_empty", "blob|blob|", []byte{}},
		{"enum_invalid", "enum|enum('a,b','x')|utf8mb4", int64(0)},
		{"enum", "enum|enum('a,b','x')|utf8mb4", int64(1)},
		{"set", "set|set('a','b','c')|utf8mb4", int64(5)},
		{"json_mysql", "json|json|", `{"big":18446744073709551617,"u":"é"}`},
		{"json_mariadb_longtext", "longtext|longtext|utf8mb4", []byte(`{"big": 18446744073709551617, "d": 1.0}`)},
		{"point", "point|point|", []byte{0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}},
		{"null", "int|int(11)|", nil},
		{"tinyint_min", "tinyint|tinyint(4)|", int8(-128)},
		{"smallint_unsigned", "smallint|smallint(5) unsigned|", int16(-1)},
		{"mediumint_min", "mediumint|mediumint(9)|", int32(-8388608)},
		{"int_unsigned", "int|int(10) unsigned|", int32(-2147483648)},
		{"bool", "tinyint|tinyint(1)|", int8(1)},
		{"decimal_65_30_max", "decimal|decimal(65,30)|", "99999999999999999999999999999999999.999999999999999999999999999999"},
		{"decimal_unsigned", "decimal|decimal(10,2) unsigned|", "0"},
		{"float_negative_zero", "float|float|", float32(math.Copysign(0, -1))},
		{"float_tiny", "float|float|", float32(1e-45)},
		{"float_huge", "float|float|", float32(-3.4028234e38)},
		{"double_tiny", "double|double|", 5e-324},
		{"double_huge", "double|double|", 1.7976931348623157e308},
		{"bit_1", "bit|bit(1)|", int64(1)},
		{"bit_33", "bit|bit(33)|", int64(8589934591)},
		{"year_max", "year|year(4)|", 2155},
		{"date", "date|date|", "2024-02-29"},
		{"time_negative", "time|time|", "-00:00:01"},
		{"time_over_a_day", "time|time(3)|", "100:00:00.5"},
		{"time_6_fraction", "time|time(6)|", "-12:34:56.789012"},
		{"datetime_0", "datetime|datetime|", "9999-12-31 23:59:59"},
		{"datetime_1", "datetime|datetime(1)|", "2021-03-28 02:30:00.1"},
		{"datetime_2_zero", "datetime|datetime(2)|", "0000-00-00 00:00:00"},
		{"datetime_4", "datetime|datetime(4)|", "1000-01-01 00:00:00.0001"},
		{"datetime_5", "datetime|datetime(5)|", "2021-10-31 02:30:00.12345"},
		{"timestamp_0", "timestamp|timestamp|", "2021-03-28 01:00:00"},
		{"timestamp_6_zero", "timestamp|timestamp(6)|", "0000-00-00 00:00:00"},
		{"char_combining", "char|char(8)|utf8mb4", "e\u0301👍🏽"},
		{"varchar_cp1251", "varchar|varchar(10)|cp1251", "\xcf\xf0\xe8"},
		{"varchar_greek", "varchar|varchar(10)|greek", "\xb6\xc1\xd9"},
		{"varbinary_trailing_zeros", "varbinary|varbinary(16)|", []byte{'a', 0, 0}},
		{"binary_all_zero", "binary|binary(3)|", ""},
		{"enum_empty_member", "enum|enum('','a,b')|utf8mb4", int64(1)},
		{"set_empty", "set|set('a','b')|utf8mb4", int64(0)},
		{"json_mariadb_nested", "longtext|longtext|utf8mb4", []byte(`{"a": {"b": [1, {"c": null}]}, "u": "\u00e9😀"}`)},
		{"point_srid_4326", "point|point|", []byte{0xe6, 0x10, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"text_empty", "text|text|utf8mb4", []byte{}},
	}
	after := map[string]any{}
	for _, r := range row {
		parts := bytes.SplitN([]byte(r.col), []byte("|"), 3)
		c := col(string(parts[0]), string(parts[1]), string(parts[2]))
		c.Name = r.name
		v, err := FromBinlog(c, r.value)
		if err != nil {
			t.Fatal(err)
		}
		after[r.name] = v
	}
	got, err := json.MarshalIndent(map[string]any{"after": after}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "envelope.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("envelope changed; got:\n%s\nwant:\n%s", got, want)
	}
}
