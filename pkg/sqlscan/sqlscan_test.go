package sqlscan

import (
	"database/sql"
	"database/sql/driver"
	"io"
	"testing"
)

// A minimal driver whose single query returns two rows of three columns,
// one of them NULL, so Row and Named are tested without a server.
type fakeDriver struct{}
type fakeConn struct{}
type fakeStmt struct{}
type fakeRows struct{ n int }

func (fakeDriver) Open(string) (driver.Conn, error)         { return fakeConn{}, nil }
func (fakeConn) Prepare(string) (driver.Stmt, error)        { return fakeStmt{}, nil }
func (fakeConn) Close() error                               { return nil }
func (fakeConn) Begin() (driver.Tx, error)                  { return nil, io.EOF }
func (fakeStmt) Close() error                               { return nil }
func (fakeStmt) NumInput() int                              { return 0 }
func (fakeStmt) Exec([]driver.Value) (driver.Result, error) { return nil, io.EOF }
func (fakeStmt) Query([]driver.Value) (driver.Rows, error)  { return &fakeRows{}, nil }
func (*fakeRows) Columns() []string                         { return []string{"File", "Position", "Gtid"} }
func (*fakeRows) Close() error                              { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.n == 2 {
		return io.EOF
	}
	r.n++
	dest[0], dest[1], dest[2] = []byte("bin.00000"+string(rune('0'+r.n))), int64(r.n*100), nil
	if r.n == 2 {
		dest[2] = []byte("")
	}
	return nil
}

func init() { sql.Register("sqlscan-fake", fakeDriver{}) }

func TestRowAndNamed(t *testing.T) {
	db, err := sql.Open("sqlscan-fake", "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal("no first row")
	}
	vals, err := Row(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 3 || vals[0].String != "bin.000001" || vals[1].String != "100" || vals[2].Valid {
		t.Errorf("first row: %+v", vals)
	}
	if !rows.Next() {
		t.Fatal("no second row")
	}
	m, err := Named(rows)
	if err != nil {
		t.Fatal(err)
	}
	if m["File"].String != "bin.000002" || m["Position"].String != "200" || !m["Gtid"].Valid || m["Gtid"].String != "" {
		t.Errorf("second row: %+v (an empty string must stay apart from NULL)", m)
	}
}
