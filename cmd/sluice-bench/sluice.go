package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pipeline is a sluice config for one source and one replica, run as one
// `sluice run` process with the embedded broker.
type pipeline struct {
	bin   string
	dir   string
	cfg   string
	admin string
	cmd   *exec.Cmd
	done  chan error
}

// newPipeline writes the config: snapshot: never, so a first start records
// the source's current position and streams from there; defaults elsewhere.
func newPipeline(bin, dir string, src, dst *server, dbs []string) (*pipeline, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	broker, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var pats []string
	for _, d := range dbs {
		pats = append(pats, fmt.Sprintf("%q", d+".*"))
	}
	cfg := fmt.Sprintf(`name: bench
kafka:
  embedded:
    listen: %s
    data_dir: %s
admin:
  listen: %s
connectors:
  - name: src
    type: mysql-source
    dsn: "root@tcp(%s)/"
    server_id: 4242
    tables: [%s]
    snapshot: never
  - name: replica
    type: mysql-sink
    source: src
    dsn: "root@tcp(%s)/"
`, broker, filepath.Join(dir, "kafka"), admin, src.Addr(), strings.Join(pats, ", "), dst.Addr())
	p := &pipeline{bin: bin, dir: dir, cfg: filepath.Join(dir, "sluice.yaml"), admin: admin}
	return p, os.WriteFile(p.cfg, []byte(cfg), 0o644)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs `sluice run`, its output appended to dir/sluice.log.
func (p *pipeline) start() error {
	f, err := os.OpenFile(filepath.Join(p.dir, "sluice.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.bin, "run", "--config", p.cfg)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return err
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait(); f.Close() }()
	return nil
}

// exited returns the exit error if the process has ended.
func (p *pipeline) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 30s).
func (p *pipeline) stop() error {
	if p.cmd == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	defer func() { p.cmd = nil }()
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("sluice did not stop within 30s of SIGTERM; killed")
	}
}

// logTail returns the last lines of the process's log.
func (p *pipeline) logTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "sluice.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls /readyz until it answers 200.
func (p *pipeline) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ok, err := p.exited(); ok {
			return fmt.Errorf("sluice exited: %v\n%s", err, p.logTail())
		}
		resp, err := http.Get("http://" + p.admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("sluice not ready after %s\n%s", timeout, p.logTail())
}

// counters returns the sums of rows published by the source and rows
// applied by the sink, from /metrics.
func (p *pipeline) counters() (pub, applied float64, err error) {
	resp, err := http.Get("http://" + p.admin + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		var dst *float64
		switch {
		case strings.HasPrefix(l, "sluice_source_rows_published_total{"):
			dst = &pub
		case strings.HasPrefix(l, "sluice_sink_rows_applied_total{"):
			dst = &applied
		default:
			continue
		}
		if v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64); err == nil {
			*dst += v
		}
	}
	return pub, applied, sc.Err()
}

// sinkCommits returns the sink's replica commits and the source's produce
// requests and their total seconds, from /metrics.
func (p *pipeline) sinkCommits() (commits, produces, produceSecs float64) {
	resp, err := http.Get("http://" + p.admin + "/metrics")
	if err != nil {
		return 0, 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		switch {
		case strings.HasPrefix(l, "sluice_sink_commits_total{"):
			commits += v
		case strings.HasPrefix(l, "sluice_kafka_produce_seconds_count{"):
			produces += v
		case strings.HasPrefix(l, "sluice_kafka_produce_seconds_sum{"):
			produceSecs += v
		}
	}
	return commits, produces, produceSecs
}

// vmHWM returns the peak resident set size of the running process.
func (p *pipeline) vmHWM() string {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(s), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), &kb)
			return fmt.Sprintf("%d MiB", kb>>10)
		}
	}
	return "unknown"
}

// catchUp is the outcome of one sluice replay.
type catchUp struct {
	total, readEnd time.Duration // start to last row applied; start to last row published
	firstPub       time.Duration // start to the first row published (startup)
	published      float64
	applied        float64
	commits        float64 // replica transactions the sink committed
	flushes        float64 // produce rounds of the source (each waits for its acks)
	flushSecs      float64 // time the source spent in them
	rss            string
}

// replaySluice starts the pinned pipeline again and waits until it has
// published and applied everything: the marker row (the source's last
// transaction) is on the replica and the sink's applied count equals the
// source's published count. Times are taken at the last poll (every 50ms)
// at which each counter moved.
func (p *pipeline) replaySluice(dst *sql.DB, timeout time.Duration) (catchUp, error) {
	start := time.Now()
	if err := p.start(); err != nil {
		return catchUp{}, err
	}
	var r catchUp
	var lastPub, lastApp float64
	for {
		if ok, err := p.exited(); ok {
			return r, fmt.Errorf("sluice exited: %v\n%s", err, p.logTail())
		}
		if time.Since(start) > timeout {
			return r, fmt.Errorf("sluice not caught up after %s (published %.0f, applied %.0f)\n%s", timeout, lastPub, lastApp, p.logTail())
		}
		pub, app, err := p.counters()
		now := time.Since(start)
		if err == nil {
			if pub > 0 && r.firstPub == 0 {
				r.firstPub = now
			}
			if pub != lastPub {
				lastPub, r.readEnd = pub, now
			}
			if app != lastApp {
				lastApp, r.total = app, now
			}
			if pub > 0 && app == pub && markerArrived(dst) {
				// Counters can trail the commit by a moment: re-read once.
				time.Sleep(100 * time.Millisecond)
				if pub2, app2, err := p.counters(); err == nil && pub2 == pub && app2 == app {
					break
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.published, r.applied = lastPub, lastApp
	r.rss = p.vmHWM()
	r.commits, r.flushes, r.flushSecs = p.sinkCommits()
	return r, nil
}

// markerArrived reports whether the marker row, written last on the
// source, is on the replica.
func markerArrived(db *sql.DB) bool {
	var n int
	err := db.QueryRow("SELECT COUNT(*) FROM bench.marker").Scan(&n)
	return err == nil && n == 1
}
