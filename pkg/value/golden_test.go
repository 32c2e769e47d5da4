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
