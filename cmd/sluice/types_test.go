package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// typesSchema is the type-torture table: every type sluice must carry bit
// for bit, generated columns the replica recomputes, and defaults the
// replica must take from the source rather than from its own clock.
const typesSchema = `CREATE DATABASE types;
CREATE TABLE types.t (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, bo BOOL,
  d65 DECIMAL(65,30), d10 DECIMAL(10,2) UNSIGNED, f FLOAT, d DOUBLE,
  b1 BIT(1), b7 BIT(7), b33 BIT(33), b64 BIT(64),
  e ENUM('', 'a,b', 'it''s', 'x y', 'ü'), s SET('a', 'b', 'c d', 'ü'),
  y YEAR, dt DATE, tm TIME, tm3 TIME(3), tm6 TIME(6),
  dtm DATETIME, dtm1 DATETIME(1), dtm2 DATETIME(2), dtm3 DATETIME(3), dtm4 DATETIME(4), dtm5 DATETIME(5), dtm6 DATETIME(6),
  ts TIMESTAMP NULL DEFAULT NULL, ts1 TIMESTAMP(1) NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL,
  ts6 TIMESTAMP(6) NULL DEFAULT NULL,
  u8 VARCHAR(64) CHARACTER SET utf8mb4, c8 CHAR(8) CHARACTER SET utf8mb4, tx TEXT CHARACTER SET utf8mb4,
  l1 VARCHAR(64) CHARACTER SET latin1, cp VARCHAR(64) CHARACTER SET cp1251, gk VARCHAR(64) CHARACTER SET greek,
  bn BINARY(8), vb VARBINARY(16), bl BLOB, lb LONGBLOB,
  j JSON, g GEOMETRY, pt POINT,
  gv BIGINT AS (i + 1) VIRTUAL, gs VARCHAR(80) CHARACTER SET utf8mb4 AS (CONCAT(u8, '!')) STORED,
  dflt VARCHAR(10) NOT NULL DEFAULT 'dflt',
  created TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) DEFAULT CHARSET=utf8mb4`

var (
	nines65 = strings.Repeat("9", 35) + "." + strings.Repeat("9", 30)
	// typeRows are SQL literals by column, inserted in a permissive
	// sql_mode (zero dates); absent columns are NULL or their default.
	typeRows = []map[string]string{
		{ // minima, zero dates, empty values
			"ti": "-128", "tiu": "0", "si": "-32768", "siu": "0", "mi": "-8388608", "miu": "0",
			"i": "-2147483648", "iu": "0", "bi": "-9223372036854775808", "biu": "0", "bo": "0",
			"d65": "-" + nines65, "d10": "0", "f": "-3.4028234e38", "d": "-1.7976931348623157e308",
			"b1": "b'0'", "b7": "0", "b33": "0", "b64": "0", "e": "''", "s": "''", "y": "0",
			"dt": "'0000-00-00'", "tm": "'-838:59:59'", "tm3": "'-00:00:00.001'", "tm6": "'-838:59:59.000000'",
			"dtm": "'0000-00-00 00:00:00'", "dtm1": "'0000-00-00 00:00:00.0'", "dtm2": "'1000-01-01 00:00:00.00'",
			"dtm3": "'0000-00-00'", "dtm4": "'1000-01-01'", "dtm5": "'0000-00-00'", "dtm6": "'0000-00-00 00:00:00.000000'",
			"ts": "'0000-00-00 00:00:00'", "ts1": "'1970-01-01 00:00:01.0'", "ts3": "'0000-00-00'", "ts6": "'1970-01-01 00:00:01.000000'",
			"u8": "''", "c8": "''", "tx": "''", "l1": "''", "cp": "''", "gk": "''",
			"bn": "''", "vb": "''", "bl": "''", "lb": "''", "j": "'{}'",
			"g": "ST_GeomFromText('POINT(0 0)')", "pt": "ST_GeomFromText('POINT(-1.5 1e-300)', 4326)",
			"created": "'2001-02-03 04:05:06.789012'", "updated": "'2001-02-03 04:05:06.789012'",
		},
		{ // maxima
			"ti": "127", "tiu": "255", "si": "32767", "siu": "65535", "mi": "8388607", "miu": "16777215",
			"i": "2147483646", "iu": "4294967295", "bi": "9223372036854775807", "biu": "18446744073709551615", "bo": "1",
			"d65": nines65, "d10": "99999999.99", "f": "3.4028234e38", "d": "1.7976931348623157e308",
			"b1": "b'1'", "b7": "127", "b33": "8589934591", "b64": "18446744073709551615", "e": "'ü'", "s": "'a,b,c d,ü'",
			"y": "2155", "dt": "'9999-12-31'", "tm": "'838:59:59'", "tm3": "'838:59:58.999'", "tm6": "'838:59:58.999999'",
			"dtm": "'9999-12-31 23:59:59'", "dtm1": "'9999-12-31 23:59:59.9'", "dtm2": "'9999-12-31 23:59:59.99'",
			"dtm3": "'9999-12-31 23:59:59.999'", "dtm4": "'9999-12-31 23:59:59.9999'", "dtm5": "'9999-12-31 23:59:59.99999'",
			"dtm6": "'9999-12-31 23:59:59.999999'", "ts": "'2038-01-19 03:14:07'", "ts1": "'2038-01-19 03:14:07.9'",
			"ts3": "'2038-01-19 03:14:07.999'", "ts6": "'2038-01-19 03:14:07.999999'",
			"u8": "'😀👍🏽 é e\u0301 ﷽ 𝄞'", "c8": "'😀😀😀😀😀😀😀😀'", "tx": "REPEAT('€😀', 3000)",
			"l1": "_latin1 0x80818D8F909D9EA0FF", "cp": "_cp1251 0x80C0DFE0FF", "gk": "_greek 0xB6C1D9E1F9",
			"bn": "0x0102000000000000", "vb": "0x00FF0000", "bl": "0x00", "lb": "REPEAT(0x00FF, 100000)",
			"j": `'{"a": {"b": [1, {"c": null}]}, "u": "é😀\\u00e9", "big": 18446744073709551617, "neg": -9223372036854775809, "d": 1.0E+300, "z": -0.0}'`,
			"g": "ST_GeomFromText('LINESTRING(0 0, 1e300 -1e300, 3 4)')", "pt": "ST_GeomFromText('POINT(1e300 -1e300)', 3857)",
			"dflt": "''", "created": "'2038-01-19 03:14:07.999999'", "updated": "'1970-01-01 00:00:01.000000'",
		},
		{ // values whose signed form is negative, -0, tiny floats, DST-crossing instants (UTC)
			"ti": "-1", "tiu": "128", "si": "-1", "siu": "32768", "mi": "-1", "miu": "8388608", "i": "-1",
			"iu": "2147483648", "bi": "-1", "biu": "9223372036854775808", "bo": "-1",
			"d65": "-0.000000000000000000000000000001", "d10": "0.01", "f": "-0e0", "d": "-0e0",
			"b1": "1", "b7": "64", "b33": "4294967296", "b64": "9223372036854775808", "e": "'a,b'", "s": "'c d'",
			"y": "1901", "dt": "'2024-02-29'", "tm": "'-00:00:01'", "tm3": "'100:00:00.5'", "tm6": "'-12:34:56.789012'",
			"dtm": "'2021-03-28 02:30:00'", "dtm3": "'2021-10-31 02:30:00.123'", "dtm6": "'2021-10-31 02:30:00.000001'",
			"ts": "'2021-03-28 00:59:59'", "ts1": "'2021-03-28 01:00:00.1'", "ts3": "'2021-10-31 00:30:00.5'",
			"ts6": "'2021-10-31 01:30:00.000001'", "u8": "'trailing  '", "c8": "'ab'", "tx": "NULL",
			"l1": "'Grüße €'", "cp": "'Привет'", "gk": "'Καλημέρα'", "bn": "'ab'", "vb": "'a\\0\\0'",
			"bl": "NULL", "lb": "X''", "j": `'[1, 2.50, "x", 1e-7, 12345678901234567890123]'`,
			"g": "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))', 4326)", "pt": "NULL",
		},
		{"f": "1e-45", "d": "5e-324", "tm": "'00:00:00'", "e": "'it''s'", "s": "'ü,a'"},
		{"f": "1.1", "d": "0.1e0 + 0.2e0", "e": "'x y'", "u8": "'NULL'", "tx": "'\\\\N'"},
		{}, // every nullable column NULL, defaults
	}
)

// insertTypeRows inserts typeRows with ids from base, in a permissive
// sql_mode so zero dates go in, with the session clock pinned so that
// defaulted timestamps are known.
func insertTypeRows(t testing.TB, db *sql.DB, base int) {
	t.Helper()
	conn, err := db.Conn(e2e.CtxTimeout(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := e2e.CtxTimeout(t, time.Minute)
	for _, q := range []string{"SET time_zone = '+00:00'", "SET sql_mode = 'NO_ENGINE_SUBSTITUTION'", "SET timestamp = 1000000000.123456"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range typeRows {
		cols, vals := []string{"id"}, []string{fmt.Sprint(base + i)}
		for c, v := range r {
			cols, vals = append(cols, c), append(vals, v)
		}
		q := fmt.Sprintf("INSERT INTO types.t (%s) VALUES (%s)", strings.Join(cols, ", "), strings.Join(vals, ", "))
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// hexDump returns the rows of table ordered by its first column, each
// column in an exact form: HEX() of its bytes, FLOAT/DOUBLE as the
// shortest text of the double, NULL as NULL.
func hexDump(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	d, tb, _ := strings.Cut(table, ".")
	rows, err := db.Query(`SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, d, tb)
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for rows.Next() {
		var name, dt string
		if err := rows.Scan(&name, &dt); err != nil {
			t.Fatal(err)
		}
		q := "`" + name + "`"
		switch dt {
		case "float", "double":
			exprs = append(exprs, fmt.Sprintf("CONCAT(CAST(%s AS DOUBLE), ':', HEX(CAST(%s AS DOUBLE) < 0))", q, q))
		case "decimal", "year":
			exprs = append(exprs, "CAST("+q+" AS CHAR)") // HEX() would make it an integer
		default:
			exprs = append(exprs, "HEX("+q+")")
		}
	}
	rows.Close()
	if len(exprs) == 0 {
		return nil
	}
	return e2e.TableRows(t, db, "(SELECT "+strings.Join(exprs, ", ")+" FROM "+table+") AS x")
}

// waitHexEqual waits until table is identical, column by column, on both
// servers.
func waitHexEqual(t testing.TB, src, dst *sql.DB, timeout time.Duration, p *e2e.Proc, table string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for time.Now().Before(deadline) {
		a, b := hexDump(t, src, table), hexDump(t, dst, table)
		if len(a) == len(b) && len(a) > 0 {
			why = ""
			for i := range a {
				if a[i] != b[i] {
					why = fmt.Sprintf("row %d:\n source  %s\n replica %s", i, a[i], b[i])
					break
				}
			}
			if why == "" {
				return
			}
		} else {
			why = fmt.Sprintf("%d rows on the source, %d on the replica", len(a), len(b))
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("%s did not converge within %s: %s\nlog:\n%s", table, timeout, why, e2e.Tail(p.Log(), 40))
}

// utcPool opens a pool on srv whose sessions run with time_zone '+00:00'.
func utcPool(t testing.TB, srv *mariadbtest.Server) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", srv.DSN("")+"?multiStatements=true&time_zone=%27%2B00%3A00%27")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// typesConfig writes a config capturing types.* with room for 16 MiB rows.
func typesConfig(t testing.TB, src, dst *mariadbtest.Server) string {
	t.Helper()
	dir := t.TempDir()
	path, _ := e2e.WriteConfig(t, dir, src, dst, false)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"shop.*"`), []byte(`"types.*"`), 1)
	b = bytes.Replace(b, []byte("  partitions: 3\n"), []byte("  partitions: 3\n  max_message_bytes: 134217728\n"), 1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTypeTorture replicates the type-torture table through the real
// pipeline, by snapshot and then by streamed inserts, updates and deletes,
// and requires the replica to be byte-identical column by column.
func TestTypeTorture(t *testing.T) {
	// The servers run in different time zones: TIMESTAMP values must cross
	// as instants, through sessions pinned to +00:00.
	src := mariadbtest.Start(t, mariadbtest.Options{ExtraArgs: []string{"--max-allowed-packet=256M", "--default-time-zone=+05:30"}})
	dst := mariadbtest.Start(t, mariadbtest.Options{ExtraArgs: []string{"--max-allowed-packet=256M", "--default-time-zone=-08:00"}})
	sdb, ddb := utcPool(t, src), utcPool(t, dst)
	e2e.ExecAll(t, sdb, typesSchema)
	insertTypeRows(t, sdb, 1)
	p := e2e.StartProc(t, "sluice.log", "run", "--config", typesConfig(t, src, dst))
	waitHexEqual(t, sdb, ddb, 60*time.Second, p, "types.t")

	insertTypeRows(t, sdb, 101) // streamed inserts
	e2e.SessionExec(t, sdb,     // one session, so its pinned clock fills ON UPDATE columns
		"SET timestamp = 1234567890.5",
		"UPDATE types.t SET i = i - 1, u8 = CONCAT(u8, '✓') WHERE id IN (1, 102, 103)",
		"UPDATE types.t SET f = -f, d = -d, tm6 = '-00:00:00.000001', s = 'a,ü', e = '' WHERE id IN (101, 104)",
		"UPDATE types.t SET ts = '2021-03-28 01:00:00', ts6 = '2021-10-31 00:59:59.999999' WHERE id = 105",
		"UPDATE types.t SET bn = 0x00, vb = 0x0000, b64 = b64 - 1 WHERE id = 102",
		"DELETE FROM types.t WHERE id IN (3, 106)",
		"UPDATE types.t SET id = id + 1000 WHERE id = 2",
		"SET timestamp = DEFAULT",
	)
	// 16 MiB BLOBs: inserted, then updated (before and after images).
	e2e.MustExec(t, sdb, "INSERT INTO types.t (id, lb) VALUES (200, REPEAT(0xA5, 16 << 20))")
	e2e.MustExec(t, sdb, "UPDATE types.t SET lb = CONCAT(lb, 0x00), bl = '' WHERE id = 200")
	waitHexEqual(t, sdb, ddb, 90*time.Second, p, "types.t")
	// The source's clock, pinned by SET timestamp, not the replica's.
	var updated string
	if err := ddb.QueryRow("SELECT updated FROM types.t WHERE id = 1").Scan(&updated); err != nil || updated != "2009-02-13 23:31:30.500000" {
		t.Errorf("ON UPDATE column on the replica = %q, %v; want the source's 2009-02-13 23:31:30.500000", updated, err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("sluice did not stop cleanly: %v", err)
	}
}
