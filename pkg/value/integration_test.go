package value

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	_ "github.com/go-sql-driver/mysql"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// Session parameters of the connections: the snapshot and the sink run with
// time_zone '+00:00' and utf8mb4. The replica session is strict, except
// for the one row that holds an invalid ENUM value.
const (
	sessionParams = "time_zone=%27%2B00%3A00%27&charset=utf8mb4"
	strictMode    = "sql_mode=%27STRICT_ALL_TABLES%2CNO_AUTO_VALUE_ON_ZERO%2CNO_ENGINE_SUBSTITUTION%27"
	lenientMode   = "sql_mode=%27NO_AUTO_VALUE_ON_ZERO%2CNO_ENGINE_SUBSTITUTION%27"
)

func openPool(t *testing.T, srv *mariadbtest.Server, params ...string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", srv.DSN("")+"?"+strings.Join(append([]string{sessionParams}, params...), "&"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMariaDBRoundTrip inserts every type at its limits, reads the rows
// back through a snapshot SELECT (text and binary protocol) and through the
// binlog, requires both encodings to be identical, then replays them
// through JSON and ToSQL into identical tables and requires the tables to
// be identical. It runs without and with binlog_row_metadata=FULL, which
// changes the Go types go-mysql yields for unsigned columns.
func TestMariaDBRoundTrip(t *testing.T) {
	srv := mariadbtest.Start(t, mariadbtest.Options{})
	srv.Exec(t, "CREATE DATABASE src", "CREATE DATABASE rep_prepared", "CREATE DATABASE rep_interpolated")
	for _, meta := range []string{"NO_LOG", "FULL"} {
		t.Run("binlog_row_metadata="+meta, func(t *testing.T) { roundTrip(t, srv, meta) })
	}
}

func roundTrip(t *testing.T, srv *mariadbtest.Server, meta string) {
	table := "t_" + strings.ToLower(meta)
	srv.Exec(t, "SET GLOBAL binlog_row_metadata = "+meta)
	for _, db := range []string{"src", "rep_prepared", "rep_interpolated"} {
		srv.Exec(t, createTable(db+"."+table))
	}
	src := openPool(t, srv, strictMode)
	var file string
	var pos uint32
	var doDB, ignoreDB string
	if err := src.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
		t.Fatal(err)
	}
	insertRows(t, src, openPool(t, srv, lenientMode), "src."+table)
	cols := loadColumns(t, src, "src", table)

	raw := readBinlog(t, srv, mysql.Position{Name: file, Pos: pos}, "src", table, len(typeRows))
	checkSignedness(t, meta, cols, raw)
	streamed := decodeRows(t, cols, raw)
	for _, binary := range []bool{false, true} {
		snap := snapshot(t, src, cols, "src."+table, binary)
		compareRows(t, fmt.Sprintf("snapshot (binary protocol %v) vs binlog", binary), cols, snap, streamed)
	}

	for _, rep := range []struct {
		db     string
		params string
	}{{"rep_prepared", ""}, {"rep_interpolated", "interpolateParams=true"}} {
		strict, lenient := openPool(t, srv, strictMode, rep.params), openPool(t, srv, lenientMode, rep.params)
		replay(t, strict, lenient, cols, streamed, rep.db+"."+table)
		assertSameTable(t, src, cols, "src."+table, rep.db+"."+table)
	}
}

func insertRows(t *testing.T, strict, lenient *sql.DB, table string) {
	t.Helper()
	for i, row := range typeRows {
		names := make([]string, 0, len(row))
		vals := make([]string, 0, len(row))
		for _, c := range typeColumns {
			if v, ok := row[c.name]; ok {
				names = append(names, "`"+c.name+"`")
				vals = append(vals, v)
			}
		}
		db := strict
		if i+1 == lenient1 {
			db = lenient
		}
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(names, ","), strings.Join(vals, ","))
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("row %d: %v\n%.500s", i+1, err, q)
		}
	}
}

// loadColumns reads the table's columns as the source does.
func loadColumns(t *testing.T, db *sql.DB, schema, table string) []event.Column {
	t.Helper()
	rows, err := db.Query(`SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''),
		COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, DATETIME_PRECISION, 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []event.Column
	for rows.Next() {
		var c event.Column
		if err := rows.Scan(&c.Name, &c.DataType, &c.ColumnType, &c.Charset, &c.Precision, &c.Scale); err != nil {
			t.Fatal(err)
		}
		DescribeColumn(&c)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil || len(cols) != len(typeColumns) {
		t.Fatalf("columns: %d, %v", len(cols), err)
	}
	return cols
}

// readBinlog returns the row images of the first n inserted rows of
// schema.table after pos, as go-mysql decodes them.
func readBinlog(t *testing.T, srv *mariadbtest.Server, pos mysql.Position, schema, table string, n int) [][]any {
	t.Helper()
	cfg := replication.BinlogSyncerConfig{
		ServerID: 4242, Flavor: mysql.MariaDBFlavor, Host: "127.0.0.1", Port: uint16(srv.Port), User: "root",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DisableRetrySync: true,
	}
	ConfigureSyncer(&cfg)
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()
	streamer, err := syncer.StartSync(pos)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rows [][]any
	for len(rows) < n {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			t.Fatalf("after %d rows: %v", len(rows), err)
		}
		re, ok := ev.Event.(*replication.RowsEvent)
		if !ok || re.Type() != replication.EnumRowsEventTypeInsert ||
			string(re.Table.Schema) != schema || string(re.Table.Table) != table {
			continue
		}
		rows = append(rows, re.Rows...)
	}
	return rows
}

// checkSignedness makes sure both of go-mysql's integer paths ran: signed
// Go values for unsigned columns without metadata, unsigned ones with it.
func checkSignedness(t *testing.T, meta string, cols []event.Column, raw [][]any) {
	t.Helper()
	for i, c := range cols {
		if c.Name != "tiu" {
			continue
		}
		got := fmt.Sprintf("%T", raw[1][i])
		if want := map[string]string{"NO_LOG": "int8", "FULL": "uint8"}[meta]; got != want {
			t.Errorf("go-mysql gave %s for TINYINT UNSIGNED with binlog_row_metadata=%s, want %s", got, meta, want)
		}
	}
}

func decodeRows(t *testing.T, cols []event.Column, raw [][]any) [][]any {
	t.Helper()
	out := make([][]any, len(raw))
	for r, row := range raw {
		if len(row) != len(cols) {
			t.Fatalf("binlog row %d has %d columns, want %d", r, len(row), len(cols))
		}
		out[r] = make([]any, len(cols))
		for i := range cols {
			v, err := FromBinlog(&cols[i], row[i])
			if err != nil {
				t.Errorf("row %d: %v", r+1, err)
			}
			out[r][i] = v
		}
	}
	return out
}

// snapshot reads the table as the snapshot does, through the text protocol
// or, with binary, through a prepared statement.
func snapshot(t *testing.T, db *sql.DB, cols []event.Column, table string, binary bool) [][]any {
	t.Helper()
	exprs := make([]string, len(cols))
	for i := range cols {
		exprs[i] = SelectExpr(&cols[i], "`"+cols[i].Name+"`")
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + table
	var args []any
	if binary {
		q += " WHERE id >= ?"
		args = append(args, 0)
	}
	rows, err := db.Query(q+" ORDER BY id", args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var out [][]any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]any, len(cols))
		for i := range cols {
			v, err := FromText(&cols[i], raw[i])
			if err != nil {
				t.Errorf("row %d: %v", len(out)+1, err)
			}
			row[i] = v
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func compareRows(t *testing.T, what string, cols []event.Column, a, b [][]any) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d rows vs %d", what, len(a), len(b))
	}
	for r := range a {
		for i, c := range cols {
			if !reflect.DeepEqual(a[r][i], b[r][i]) {
				t.Errorf("%s: row %d column %s (%s): %s vs %s", what, r+1, c.Name, c.ColumnType, show(a[r][i]), show(b[r][i]))
			}
		}
	}
}

func show(v any) string {
	s := fmt.Sprintf("%T(%#v)", v, v)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// replay sends each row through the envelope's JSON and ToSQL into table.
func replay(t *testing.T, strict, lenient *sql.DB, cols []event.Column, rows [][]any, table string) {
	t.Helper()
	names := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		names[i], marks[i] = "`"+c.Name+"`", "?"
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(names, ","), strings.Join(marks, ","))
	for r, row := range rows {
		after := make(map[string]any, len(cols))
		for i, c := range cols {
			after[c.Name] = row[i]
		}
		msg, err := json.Marshal(map[string]any{"after": after})
		if err != nil {
			t.Fatalf("row %d: marshal: %v", r+1, err)
		}
		var env struct{ After map[string]any }
		d := json.NewDecoder(bytes.NewReader(msg))
		d.UseNumber()
		if err := d.Decode(&env); err != nil {
			t.Fatal(err)
		}
		args := make([]any, len(cols))
		for i := range cols {
			if args[i], err = ToSQL(&cols[i], env.After[cols[i].Name]); err != nil {
				t.Fatalf("row %d: %v", r+1, err)
			}
		}
		db := strict
		if r+1 == lenient1 {
			db = lenient
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("replay row %d into %s: %v", r+1, table, err)
		}
	}
}

// assertSameTable compares every column of every row by value and by its
// bytes, then the whole tables with CHECKSUM TABLE.
func assertSameTable(t *testing.T, db *sql.DB, cols []event.Column, a, b string) {
	t.Helper()
	for _, c := range cols {
		cond := fmt.Sprintf("NOT (x.`%[1]s` <=> y.`%[1]s`) OR NOT (HEX(x.`%[1]s`) <=> HEX(y.`%[1]s`))", c.Name)
		if c.DataType == "enum" || c.DataType == "set" || c.DataType == "bit" {
			cond += fmt.Sprintf(" OR NOT (x.`%[1]s` + 0 <=> y.`%[1]s` + 0)", c.Name)
		}
		var n int
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s x LEFT JOIN %s y ON x.id = y.id WHERE y.id IS NULL OR %s", a, b, cond)
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != 0 {
			t.Errorf("%s vs %s: column %s (%s) differs in %d rows", a, b, c.Name, c.ColumnType, n)
		}
	}
	var na, nb int
	if err := db.QueryRow(fmt.Sprintf("SELECT (SELECT COUNT(*) FROM %s), (SELECT COUNT(*) FROM %s)", a, b)).Scan(&na, &nb); err != nil {
		t.Fatal(err)
	}
	if na != nb || na != len(typeRows) {
		t.Errorf("%s has %d rows, %s has %d, want %d", a, na, b, nb, len(typeRows))
	}
	sums := map[string]int64{}
	for _, tbl := range []string{a, b} {
		var name string
		var sum int64
		if err := db.QueryRow("CHECKSUM TABLE "+tbl).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		sums[tbl] = sum
	}
	if sums[a] != sums[b] {
		t.Errorf("CHECKSUM TABLE %s = %d, %s = %d", a, sums[a], b, sums[b])
	}
}
