package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pipeline is a sluice config for one source and one replica, run as three
// processes as in production: `sluice broker` (the embedded broker),
// `sluice run --connector src` and `sluice run --connector replica`, so
// that each has its own peak RSS and profiles and the sink can be stopped
// alone.
type pipeline struct {
	bin, dir, cfg string
	cfgText       string // the config, %[1]s for the broker's address
	pprof         bool
	brokerAddr    string
	broker        *proc
	src, sink     *proc
}

// proc is one sluice process of a pipeline.
type proc struct {
	name   string
	admin  string // admin address, new at each start ("" for the broker)
	logOff int64  // size of its log when it last started
	cmd    *exec.Cmd
	done   chan error
}

// newPipeline prepares the config: snapshot: never, so a first start
// records the source's current position and streams from there; defaults
// elsewhere but kafka.embedded.sync_writes (-sync-writes). pprof starts the
// source and the sink with --pprof.
func newPipeline(c config, dir string, src, dst *server, dbs []string, pprof bool) (*pipeline, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var pats []string
	for _, d := range dbs {
		pats = append(pats, fmt.Sprintf("%q", d+".*"))
	}
	cfg := fmt.Sprintf(`name: bench
kafka:
  brokers: ["%%[1]s"]
  embedded:
    listen: %%[1]s
    data_dir: %s
    sync_writes: %t
  compression: %s
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
    workers: %d
`, filepath.Join(dir, "kafka"), c.syncWrites, c.compression, src.Addr(), strings.Join(pats, ", "), dst.Addr(), c.sinkWorkers)
	return &pipeline{bin: c.sluiceBin, dir: dir, cfg: filepath.Join(dir, "sluice.yaml"), cfgText: cfg, pprof: pprof,
		broker: &proc{name: "broker"}, src: &proc{name: "source"}, sink: &proc{name: "sink"}}, nil
}

// exited returns the first process that has ended, with its exit error.
func (p *pipeline) exited() (*proc, error) {
	for _, x := range []*proc{p.broker, p.src, p.sink} {
		if x.cmd == nil {
			continue
		}
		select {
		case err := <-x.done:
			x.done <- err
			return x, err
		default:
		}
	}
	return nil, nil
}

// stop stops the sink, the source and the broker, in that order.
func (p *pipeline) stop() error {
	var first error
	for _, x := range []*proc{p.sink, p.src, p.broker} {
		if err := stopProc(x); err != nil && first == nil {
			first = fmt.Errorf("%s: %w\n%s", x.name, err, p.logTail(x))
		}
	}
	return first
}

// stopProc sends SIGTERM and waits for the exit (SIGKILL after 30s).
func stopProc(x *proc) error {
	if x.cmd == nil {
		return nil
	}
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	defer func() { x.cmd = nil }()
	select {
	case err := <-x.done:
		return err
	case <-time.After(30 * time.Second):
		_ = x.cmd.Process.Kill()
		<-x.done
		return fmt.Errorf("did not stop within 30s of SIGTERM; killed")
	}
}

// logTail returns the last lines of a process's log.
func (p *pipeline) logTail(x *proc) string {
	b, _ := os.ReadFile(filepath.Join(p.dir, x.name+".log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return x.name + " log:\n" + strings.Join(lines, "\n")
}

// failed describes the process that exited, with its log.
func (p *pipeline) failed() error {
	if x, err := p.exited(); x != nil {
		return fmt.Errorf("sluice %s exited: %v\n%s", x.name, err, p.logTail(x))
	}
	return nil
}

// waitReady polls the source's and the sink's /readyz until both answer 200.
func (p *pipeline) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, x := range []*proc{p.src, p.sink} {
		for {
			if err := p.failed(); err != nil {
				return err
			}
			resp, err := http.Get("http://" + x.admin + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("sluice %s not ready after %s\n%s", x.name, timeout, p.logTail(x))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// metrics sums the samples of the named metrics (their names up to the
// labels) of a process's /metrics.
// It asks for no compression: the harness polls every 50 ms, and gzip of
// each answer showed in the profiles of the processes it measures.
func metrics(x *proc, names ...string) (map[string]float64, error) {
	req, err := http.NewRequest("GET", "http://"+x.admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := make(map[string]float64, len(names))
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		for _, n := range names {
			if strings.HasPrefix(l, n+"{") || strings.HasPrefix(l, n+" ") || strings.HasPrefix(l, n+",") {
				if v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64); err == nil {
					out[n] += v
				}
			}
		}
	}
	return out, sc.Err()
}

const (
	mPublished = "sluice_source_rows_published_total"
	mApplied   = "sluice_sink_rows_applied_total"
	mCommits   = "sluice_sink_commits_total"
	mProduces  = "sluice_kafka_produce_seconds_count"
	mProduceS  = "sluice_kafka_produce_seconds_sum"
	// Per phase of the sink's applier: the label is part of the name matched.
	mSinkRead   = `sluice_sink_seconds_total{connector="replica",phase="read"`
	mSinkApply  = `sluice_sink_seconds_total{connector="replica",phase="apply"`
	mSinkCommit = `sluice_sink_seconds_total{connector="replica",phase="commit"`
)

// counters returns the rows published by the source and applied by the
// sink.
func (p *pipeline) counters() (pub, applied float64, err error) {
	s, err := metrics(p.src, mPublished)
	if err != nil {
		return 0, 0, err
	}
	k, err := metrics(p.sink, mApplied)
	return s[mPublished], k[mApplied], err
}

// vmHWM returns the peak resident set size of a running process.
func vmHWM(x *proc) string {
	pid := procPid(x) // cpu.go
	if pid == 0 {
		return "-"
	}
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(s), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), &kb)
			return fmt.Sprintf("%dM", kb>>10)
		}
	}
	return "unknown"
}
