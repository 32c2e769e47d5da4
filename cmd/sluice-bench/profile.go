package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// profiler takes CPU and heap profiles of a pipeline's source and sink
// through their /debug/pprof (sluice run --pprof) and summarises them with
// `go tool pprof -top`.
type profiler struct {
	dir     string        // where the profiles are written
	seconds time.Duration // CPU profile length
	bin     string        // the sluice binary, for symbols
	name    string        // workload, prefix of the files
}

// capture takes, from the source and the sink at once, a CPU profile of
// p.seconds and, halfway through it, a heap profile; it returns the top
// functions of each as text (errors included: a failed profile does not
// fail the benchmark).
func (pr *profiler) capture(p *pipeline) string {
	if err := os.MkdirAll(pr.dir, 0o755); err != nil {
		return "profiles: " + err.Error()
	}
	type file struct{ proc, kind, path string }
	var (
		mu    sync.Mutex
		files []file
		errs  []string
		wg    sync.WaitGroup
	)
	get := func(x *proc, kind, query string, after time.Duration) {
		defer wg.Done()
		time.Sleep(after)
		path := filepath.Join(pr.dir, fmt.Sprintf("%s-%s.%s.pprof", pr.name, x.name, kind))
		err := fetch("http://"+x.admin+"/debug/pprof/"+query, path)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s %s profile: %v", x.name, kind, err))
			return
		}
		files = append(files, file{x.name, kind, path})
	}
	for _, x := range []*proc{p.src, p.sink} {
		wg.Add(2)
		go get(x, "cpu", fmt.Sprintf("profile?seconds=%d", int(pr.seconds.Seconds())), 0)
		go get(x, "heap", "heap", pr.seconds/2)
	}
	wg.Wait()
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintln(&b, "  "+e)
	}
	for _, kind := range []string{"cpu", "heap"} {
		for _, pn := range []string{"source", "sink"} {
			for _, f := range files {
				if f.proc == pn && f.kind == kind {
					b.WriteString(pr.top(f.proc, f.kind, f.path))
				}
			}
		}
	}
	return b.String()
}

// fetch GETs url into path.
func fetch(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s %s", url, resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// top runs `go tool pprof -top` on one profile: the 15 functions of most
// flat CPU time, or of most bytes allocated over the process's life for a
// heap profile (alloc_space: what the garbage collector has to work on).
func (pr *profiler) top(procName, kind, path string) string {
	args := []string{"tool", "pprof", "-top", "-nodecount=15"}
	what := "CPU, flat"
	if kind == "heap" {
		args = append(args, "-sample_index=alloc_space")
		what = "heap, bytes allocated since start"
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goBin, append(args, pr.bin, path)...).CombinedOutput()
	head := fmt.Sprintf("\n  --- %s %s (%s): %s\n", pr.name, procName, what, path)
	if err != nil {
		return head + fmt.Sprintf("  go tool pprof: %v\n%s", err, out)
	}
	return head + indent(string(out))
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}
