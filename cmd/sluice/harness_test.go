package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// binary is the sluice binary built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sluice")
	// Built with the race detector, so the multi-process tests also hunt
	// races; SLUICE_E2E_NORACE=1 builds a plain binary for measurements.
	args := []string{"build", "-race", "-tags", "sluicefault", "-o", binary, "."}
	if os.Getenv("SLUICE_E2E_NORACE") == "1" {
		args = []string{"build", "-tags", "sluicefault", "-o", binary, "."}
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build sluice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a sluice process under test.
type proc struct {
	t    testing.TB
	args []string
	log  string
	cmd  *exec.Cmd
	done chan error
}

func startProc(t testing.TB, logName string, args ...string) *proc {
	p := &proc{t: t, args: args, log: filepath.Join(t.TempDir(), logName)}
	p.start()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "=== start %v\n", p.args)
	p.cmd = exec.Command(binary, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	// Die with the test binary, even when it is killed on a timeout.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait(); f.Close() }()
}

// kill sends SIGKILL and waits.
func (p *proc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.cmd = nil
		return err
	case <-time.After(30 * time.Second):
		p.kill()
		return fmt.Errorf("did not stop within 30s after SIGTERM")
	}
}

// exited returns the process's exit error if it has ended.
func (p *proc) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitHTTP polls url until it answers 200.
func waitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s", url, timeout)
}

// tableRows returns a table's rows ordered by primary key, each column as
// text with NULL distinct from ”.
func tableRows(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
	if err != nil {
		t.Fatalf("select %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for i, r := range raw {
			if i > 0 {
				b.WriteString(" | ")
			}
			if r == nil {
				b.WriteString("NULL")
			} else {
				fmt.Fprintf(&b, "%q", r)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// tablesEqual reports whether table has the same rows on both servers, and
// a description of the first difference.
func tablesEqual(t testing.TB, src, dst *sql.DB, table string) (bool, string) {
	a := tableRows(t, src, table)
	b := tableRows(t, dst, table)
	if len(a) != len(b) {
		return false, fmt.Sprintf("%s: %d rows on the source, %d on the replica", table, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return false, fmt.Sprintf("%s row %d:\n source  %s\n replica %s", table, i, a[i], b[i])
		}
	}
	return true, ""
}

// waitEqual waits until every table is equal on both servers.
func waitEqual(t testing.TB, src, dst *sql.DB, timeout time.Duration, procs []*proc, tables ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for time.Now().Before(deadline) {
		all := true
		for _, tb := range tables {
			if !replicaHasTable(dst, tb) {
				all, why = false, tb+" missing on the replica"
				break
			}
			ok, w := tablesEqual(t, src, dst, tb)
			if !ok {
				all, why = false, w
				break
			}
		}
		if all {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range procs {
		t.Logf("log of %v:\n%s", p.args, tail(p.logText(), 60))
	}
	t.Fatalf("replica did not converge within %s: %s", timeout, why)
}

func replicaHasTable(db *sql.DB, table string) bool {
	d, tb, _ := strings.Cut(table, ".")
	var n int
	_ = db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", d, tb).Scan(&n)
	return n == 1
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeConfig writes a config for one source and one sink and returns its
// path and the admin address. With split set, kafka.brokers points at the
// embedded broker's address, for a separate `sluice broker` process.
// Each extra server gets a sink of its own (replica-2, replica-3, ...).
func writeConfig(t testing.TB, dir string, src, dst *mariadbtest.Server, split bool, extra ...*mariadbtest.Server) (string, string) {
	t.Helper()
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	brokerAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	kafka := fmt.Sprintf("  embedded:\n    listen: %s\n    data_dir: %s\n", brokerAddr, filepath.Join(dir, "kafka"))
	if split {
		kafka = fmt.Sprintf("  brokers: [%q]\n", brokerAddr) + kafka
	}
	cfg := fmt.Sprintf(`name: test
kafka:
%s  partitions: 3
admin:
  listen: %s
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4242
    tables: ["shop.*"]
    snapshot_chunk_size: 100
  - name: replica-1
    type: mysql-sink
    source: src
    dsn: "root@tcp(%s)/"
    batch_rows: 500
`, kafka, adminAddr, src.Addr(), dst.Addr())
	for i, x := range extra {
		cfg += fmt.Sprintf("  - name: replica-%d\n    type: mysql-sink\n    source: src\n    dsn: \"root@tcp(%s)/\"\n", i+2, x.Addr())
	}
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, adminAddr
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
