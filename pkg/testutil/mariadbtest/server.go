package mariadbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/ports"
)

// maxPortTries bounds the retries when another process takes the free port
// between ports.Free and the server's bind.
const maxPortTries = 5

// Server is one mariadbd process with its own directory. Its methods are
// safe for concurrent use.
type Server struct {
	// Port is the TCP port on 127.0.0.1; it stays the same across Restart.
	Port int
	// Dir holds everything the server owns: the datadir, its tmpdir,
	// binlogs, socket and pid file. Start removes it at cleanup.
	Dir string
	// DataDir is the server's datadir, Dir/data.
	DataDir string
	// LogFile receives the server's stdout and stderr (its error log).
	LogFile string
	// ServerID is the server's server_id.
	ServerID uint32

	opts Options
	bin  binaries

	mu   sync.Mutex
	proc *process // nil when not running
}

// StartProcess starts a server whose files live in dir (created if needed;
// empty means a new temporary directory) and returns once it accepts
// connections. It is Start without testing.TB: the caller must Stop the
// server and may then remove s.Dir.
func StartProcess(dir string, opts Options) (*Server, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	tmpl, err := templateDatadir(bin)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mariadbtest-"); err != nil {
			return nil, fmt.Errorf("mariadbtest: %w", err)
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("mariadbtest: %w", err)
	}
	s := &Server{
		Dir:      dir,
		DataDir:  filepath.Join(dir, "data"),
		ServerID: opts.ServerID,
		opts:     opts,
		bin:      bin,
	}
	s.LogFile = filepath.Join(s.DataDir, "mariadbd.log")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mariadbtest: %w", err)
	}
	if err := copyDatadir(tmpl, s.DataDir); err != nil {
		return nil, err
	}
	if !opts.NoBinlog {
		if err := os.MkdirAll(filepath.Dir(s.binlogBase()), 0o755); err != nil {
			return nil, fmt.Errorf("mariadbtest: %w", err)
		}
	}
	for try := 1; ; try++ {
		if s.Port, err = ports.Free(); err != nil {
			return nil, fmt.Errorf("mariadbtest: %w", err)
		}
		err = s.start(context.Background())
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortInUse) || try == maxPortTries {
			return nil, err
		}
	}
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// DSN returns a go-sql-driver DSN for root (empty password) over TCP, with
// db as the default database ("" for none) and no parameters.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("root@tcp(%s)/%s", s.Addr(), db)
}

// Options returns the options the server runs with, defaults applied.
func (s *Server) Options() Options { return s.opts }

// Pid returns the server process's id, or 0 when it is not running.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.exited() {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// Stop shuts the server down gracefully (SIGTERM, then SIGKILL after
// stopTimeout) and waits for it to exit. Stopping a stopped server is a
// no-op. It returns an error if the server had already died on its own.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	if p.exited() {
		return fmt.Errorf("mariadbtest: server on port %d had exited by itself: %v\n%s",
			s.Port, p.err, s.crashReport())
	}
	return p.terminate()
}

// Kill sends SIGKILL, as a crash would, and waits for the process to exit.
// Killing a stopped server is a no-op.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	return p.kill()
}

// Restart starts the server again on the same port and datadir after Stop
// or Kill (running crash recovery after Kill) and waits until it accepts
// connections. Restarting a running server stops it first.
func (s *Server) Restart() error {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil && !p.exited() {
		if err := p.terminate(); err != nil {
			return err
		}
	}
	// The port is outside the ephemeral range, so no client socket takes
	// it while the server is down; a server of another process might, for
	// a moment (a test probing a port in ports.Free): retry the same port.
	var err error
	for try := 1; try <= maxPortTries; try++ {
		if err = s.start(context.Background()); !errors.Is(err, errPortInUse) {
			return err
		}
		time.Sleep(time.Duration(try) * 200 * time.Millisecond)
	}
	return err
}

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	return tail(b, n)
}

// crashReport returns the server's own crash report (from "got signal" to
// the stack trace and the query), or the log's tail when there is none.
func (s *Server) crashReport() string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	i := bytes.LastIndex(b, []byte("got signal"))
	if i < 0 {
		return tail(b, 20)
	}
	report := b[bytes.LastIndexByte(b[:i], '\n')+1:]
	if j := bytes.Index(report, []byte("Optimizer switch")); j > 0 {
		report = report[:j] // the rest is limits and kernel version
	}
	return tail(report, 80)
}

func (s *Server) pidFile() string    { return filepath.Join(s.Dir, "mariadbd.pid") }
func (s *Server) tmpDir() string     { return filepath.Join(s.Dir, "tmp") }
func (s *Server) binlogBase() string { return filepath.Join(s.Dir, "binlog", "mariadb-bin") }

// socketArg keeps the socket in Dir. A Unix socket path is limited to about
// 107 bytes; past that, use a path relative to the datadir (mariadbd runs
// there), which names the same file.
func (s *Server) socketArg() string {
	if p := filepath.Join(s.Dir, "mysql.sock"); len(p) < 100 {
		return p
	}
	return filepath.Join("..", "mysql.sock")
}
