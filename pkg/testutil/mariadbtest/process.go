package mariadbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" database/sql driver

	"github.com/sluice-cdc/sluice/pkg/testutil/ports"
)

const (
	// readyTimeout bounds the wait for a started server to accept
	// connections, crash recovery included.
	readyTimeout = 60 * time.Second
	// stopTimeout bounds a graceful shutdown before Stop sends SIGKILL.
	stopTimeout = 60 * time.Second
)

// errPortInUse reports that mariadbd could not bind its port.
var errPortInUse = errors.New("mariadbtest: port already in use")

// process is one run of mariadbd.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// terminate asks for a clean shutdown and waits for it.
func (p *process) terminate() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !p.exited() {
		return fmt.Errorf("mariadbtest: SIGTERM: %w", err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("mariadbtest: mariadbd shutdown: %w", p.err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = p.kill()
		return fmt.Errorf("mariadbtest: mariadbd did not shut down within %v; killed", stopTimeout)
	}
}

// kill sends SIGKILL and waits; the resulting exit status is expected.
func (p *process) kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !p.exited() {
		return fmt.Errorf("mariadbtest: SIGKILL: %w", err)
	}
	<-p.done
	return nil
}

// start runs mariadbd on s.Port and waits until it is ready. On failure
// the process is gone and the error carries the tail of its log.
func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return fmt.Errorf("mariadbtest: server on port %d is already running", s.Port)
	}
	// A private tmpdir: a starting mariadbd deletes every #sql* file in its
	// tmpdir, in a shared /tmp the Aria temp tables of running servers,
	// which then crash in ha_maria::drop_table.
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor
	logStart, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "### mariadbtest: %s %s\n", s.bin.mariadbd, strings.Join(s.serverArgs(), " "))
	_ = os.Remove(s.pidFile())

	cmd := exec.Command(s.bin.mariadbd, s.serverArgs()...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mariadbtest: starting %s: %w", s.bin.mariadbd, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := s.waitReady(ctx, p); err != nil {
		_ = p.kill()
		out := s.logSince(logStart)
		if ports.Taken(out) {
			err = fmt.Errorf("%w: %d", errPortInUse, s.Port)
		}
		return fmt.Errorf("%w\n--- tail of %s ---\n%s", err, s.LogFile, tail([]byte(out), 30))
	}
	s.proc = p
	return nil
}

// waitReady polls until the server accepts a connection and proves to be
// ours (another server may own the port if our bind failed).
func (s *Server) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	// readTimeout: if our bind failed, the port's owner may never answer
	// the handshake.
	db, err := sql.Open("mysql", s.DSN("")+"?timeout=2s&readTimeout=2s")
	if err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0)
	want := s.DataDir
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		var datadir string
		lastErr = db.QueryRowContext(ctx, "SELECT @@datadir").Scan(&datadir)
		if lastErr == nil {
			if sameDir(datadir, want) {
				return nil
			}
			lastErr = fmt.Errorf("port %d is served by another server (datadir %s)", s.Port, datadir)
		}
		select {
		case <-p.done:
			return fmt.Errorf("mariadbtest: mariadbd on port %d exited during startup: %v", s.Port, p.err)
		case <-ctx.Done():
			return fmt.Errorf("mariadbtest: mariadbd on port %d not ready after %v: %v", s.Port, readyTimeout, lastErr)
		case <-tick.C:
		}
	}
}

// logSince returns the log written since offset off.
func (s *Server) logSince(off int64) string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	if off > 0 && off <= int64(len(b)) {
		b = b[off:]
	}
	return string(bytes.TrimSpace(b))
}

// sameDir compares directories by identity, as mariadbd may report the
// datadir through a resolved symlink.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
