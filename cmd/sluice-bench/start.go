package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/ports"
)

// maxPortTries bounds the starts of a pipeline whose broker or admin port
// another process bound between ports.Free and sluice's listen.
const maxPortTries = 5

// freeAddr returns 127.0.0.1 with a port from ports.Free, outside the
// kernel's ephemeral range, so that no outgoing connection (a native
// replica's, a client's) takes it between now and the listen.
func freeAddr() (string, error) {
	port, err := ports.Free()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// start runs the broker, the source and the sink, and waits until the
// broker accepts connections and both admin servers answer. Each start
// listens on new addresses (the broker's is written into the config); a
// start that fails because one was taken is retried on fresh ones. On
// failure every process of the pipeline is stopped.
func (p *pipeline) start() error {
	for try := 1; ; try++ {
		err := p.startOnce()
		if err == nil {
			return nil
		}
		taken := p.portTaken()
		_ = p.stop() // its error repeats the one at hand
		if !taken || try == maxPortTries {
			return err
		}
		fmt.Fprintf(os.Stderr, "sluice-bench: a port of sluice was taken, starting again on fresh ports (%d)\n", try)
	}
}

func (p *pipeline) startOnce() error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.cfg, []byte(fmt.Sprintf(p.cfgText, addr)), 0o644); err != nil {
		return err
	}
	p.brokerAddr = addr
	if err := p.startProc(p.broker); err != nil {
		return err
	}
	brokerUp := func() bool {
		c, err := net.Dial("tcp", p.brokerAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	if err := p.waitUp(p.broker, brokerUp); err != nil {
		return err
	}
	for _, x := range []*proc{p.src, p.sink} {
		if err := p.startProc(x); err != nil {
			return err
		}
	}
	for _, x := range []*proc{p.src, p.sink} {
		if err := p.waitUp(x, func() bool { return healthy(x.admin) }); err != nil {
			return err
		}
	}
	return nil
}

// waitUp polls up until it reports true while every started process still
// runs, for at most 30s. It checks for an exit after a success too, as
// another process may own the port x failed to bind.
func (p *pipeline) waitUp(x *proc, up func() bool) error {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ok := up()
		if err := p.failed(); err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sluice %s not listening after 30s\n%s", x.name, p.logTail(x))
		}
	}
}

// healthClient gives up on a listener that never answers: another program
// may hold the port sluice failed to bind.
var healthClient = &http.Client{Timeout: 2 * time.Second}

// healthy reports whether an admin server answers /healthz with 200.
func healthy(admin string) bool {
	resp, err := healthClient.Get("http://" + admin + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// portTaken reports whether a process of the last start failed to bind
// its port, from what it logged since it started.
func (p *pipeline) portTaken() bool {
	for _, x := range []*proc{p.broker, p.src, p.sink} {
		if x.cmd == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.dir, x.name+".log"))
		if err == nil && int64(len(b)) >= x.logOff && ports.Taken(string(b[x.logOff:])) {
			return true
		}
	}
	return false
}

// startProc starts one process, its output appended to dir/NAME.log.
func (p *pipeline) startProc(x *proc) error {
	f, err := os.OpenFile(filepath.Join(p.dir, x.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if x.logOff, err = f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return err
	}
	args := []string{"broker", "--config", p.cfg}
	if x != p.broker {
		if x.admin, err = freeAddr(); err != nil {
			f.Close()
			return err
		}
		conn := "src"
		if x == p.sink {
			conn = "replica"
		}
		args = []string{"run", "--config", p.cfg, "--connector", conn, "--admin", x.admin}
		if p.pprof {
			args = append(args, "--pprof")
		}
	}
	x.cmd = exec.Command(p.bin, args...)
	x.cmd.Stdout, x.cmd.Stderr = f, f
	x.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := x.cmd.Start(); err != nil {
		f.Close()
		return err
	}
	x.done = make(chan error, 1)
	go func() { x.done <- x.cmd.Wait(); f.Close() }()
	return nil
}
