package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/ports"
)

// Proc is a sluice process under test. Its log file (stdout and stderr)
// survives restarts: each Start appends a "=== start" line and the new
// process's output. Proc is not safe for concurrent use, except Log.
type Proc struct {
	t    testing.TB
	bin  string
	args []string
	log  string
	cur  *run // nil before Start and after Kill or Stop reaped it
}

// run is one execution of a Proc.
type run struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, set before done closes
}

// StartProc starts sluice with args, its output in logName in a temporary
// directory of t. The process is killed at t's cleanup. Under -short it
// skips the test (see Binary).
func StartProc(t testing.TB, logName string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, bin: Binary(t), args: args, log: filepath.Join(t.TempDir(), logName)}
	p.Start()
	t.Cleanup(p.Kill)
	return p
}

// StartBroker starts `sluice broker` with the config at cfg (broker.log).
func StartBroker(t testing.TB, cfg string) *Proc {
	t.Helper()
	return StartProc(t, "broker.log", "broker", "--config", cfg)
}

// StartConnector starts `sluice run` of one connector of the config at
// cfg, with its admin server on admin.
func StartConnector(t testing.TB, logName, cfg, connector, admin string) *Proc {
	t.Helper()
	return StartProc(t, logName, "run", "--config", cfg, "--connector", connector, "--admin", admin)
}

// Start starts the process again, with the same arguments and log, once
// the previous one ended (killed, stopped, or by itself). It calls
// t.Fatal if the previous one still runs.
func (p *Proc) Start() {
	p.t.Helper()
	if p.cur != nil {
		select {
		case <-p.cur.done:
		default:
			p.t.Fatalf("start %v: the previous process still runs", p.args)
		}
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "=== start %v\n", p.args)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Die with the test binary, even when it is killed on a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		p.t.Fatal(err)
	}
	r := &run{cmd: cmd, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		f.Close()
		close(r.done)
	}()
	p.cur = r
}

// Kill sends SIGKILL and waits for the process to end; it does nothing
// when none runs.
func (p *Proc) Kill() {
	if p.cur == nil {
		return
	}
	_ = p.cur.cmd.Process.Signal(syscall.SIGKILL)
	<-p.cur.done
	p.cur = nil
}

// Stop sends SIGTERM and waits for the process to end, and returns its
// exit error; after 30 s it kills it and returns an error.
func (p *Proc) Stop() error {
	if p.cur == nil {
		return errors.New("not running")
	}
	_ = p.cur.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.cur.done:
		err := p.cur.err
		p.cur = nil
		return err
	case <-time.After(30 * time.Second):
		p.Kill()
		return fmt.Errorf("did not stop within 30s after SIGTERM")
	}
}

// Exited reports whether the process ended by itself, with its exit
// error. After Kill or Stop it reports false.
func (p *Proc) Exited() (bool, error) {
	if p.cur == nil {
		return false, nil
	}
	select {
	case <-p.cur.done:
		return true, p.cur.err
	default:
		return false, nil
	}
}

// Wait waits up to timeout for the process to end by itself and returns
// whether it did, with its exit error. On a timeout it leaves it running.
func (p *Proc) Wait(timeout time.Duration) (bool, error) {
	if p.cur == nil {
		return false, nil
	}
	select {
	case <-p.cur.done:
		return true, p.cur.err
	case <-time.After(timeout):
		return false, nil
	}
}

// Pid returns the process id of the running process.
func (p *Proc) Pid() int { return p.cur.cmd.Process.Pid }

// Args returns the command-line arguments, without the binary.
func (p *Proc) Args() []string { return p.args }

// Log returns everything the process (and its earlier runs) wrote.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// LogTails logs the last lines lines of each process's log.
func LogTails(t testing.TB, lines int, procs ...*Proc) {
	t.Helper()
	for _, p := range procs {
		t.Logf("log of %v:\n%s", p.args, Tail(p.Log(), lines))
	}
}

// CheckNoRace fails the test for each process whose log holds a report of
// the race detector.
func CheckNoRace(t testing.TB, procs ...*Proc) {
	t.Helper()
	for _, p := range procs {
		if log := p.Log(); strings.Contains(log, "DATA RACE") {
			t.Errorf("race detected in %v:\n%s", p.args, log)
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// outside the kernel's ephemeral range (ports.FreeT), so no outgoing
// connection of another test can take it before the process binds it.
func FreePort(t testing.TB) int {
	t.Helper()
	return ports.FreeT(t)
}

// FreeAddr returns "127.0.0.1:PORT" with a port from FreePort.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Split is a pipeline run as three processes, as in a deployment with a
// separate broker: `sluice broker`, the source "src" and the sink
// "replica-1" of a config WriteConfig wrote with split set.
type Split struct {
	Broker, Source, Sink   *Proc
	SourceAdmin, SinkAdmin string // the admin addresses of Source and Sink
}

// StartSplit starts the broker, then the source and the sink (logs
// broker.log, source.log and sink.log), each with its admin server on a
// free port. It does not wait for them to be ready.
func StartSplit(t testing.TB, cfg string) *Split {
	t.Helper()
	s := &Split{SourceAdmin: FreeAddr(t), SinkAdmin: FreeAddr(t)}
	s.Broker = StartBroker(t, cfg)
	s.Source = StartConnector(t, "source.log", cfg, "src", s.SourceAdmin)
	s.Sink = StartConnector(t, "sink.log", cfg, "replica-1", s.SinkAdmin)
	return s
}

// Procs returns the broker, the source and the sink, for WaitEqual and
// CheckNoRace.
func (s *Split) Procs() []*Proc { return []*Proc{s.Broker, s.Source, s.Sink} }
