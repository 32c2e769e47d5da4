package e2e

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// WaitFor polls ok every 20 ms until it returns true, and fails the test
// with what after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CtxTimeout returns a context cancelled after d or at t's cleanup.
func CtxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// WaitHTTP polls url until it answers 200.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
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

// WaitExit waits for p to end by itself, with any status.
func WaitExit(t testing.TB, p *Proc, timeout time.Duration) {
	t.Helper()
	if ended, _ := p.Wait(timeout); !ended {
		t.Fatalf("sluice did not exit within %s:\n%s", timeout, Tail(p.Log(), 30))
	}
}

// WaitFailed waits for p to end by itself with an error and returns its
// log.
func WaitFailed(t testing.TB, p *Proc, timeout time.Duration) string {
	t.Helper()
	ended, err := p.Wait(timeout)
	if !ended {
		t.Fatalf("sluice still running after %s, want it to stop:\n%s", timeout, Tail(p.Log(), 30))
	}
	if err == nil {
		t.Fatalf("sluice exited cleanly, want a failure:\n%s", Tail(p.Log(), 30))
	}
	return p.Log()
}

// ExpectExit1 waits up to 30 s for p to exit with status 1 and a log
// holding every one of words, and returns the log.
func ExpectExit1(t testing.TB, p *Proc, words ...string) string {
	t.Helper()
	ended, err := p.Wait(30 * time.Second)
	if !ended {
		t.Fatalf("sluice did not stop within 30s:\n%s", Tail(p.Log(), 30))
	}
	log := p.Log()
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("sluice exited with %v, want exit status 1:\n%s", err, Tail(log, 20))
	}
	for _, w := range words {
		if !strings.Contains(log, w) {
			t.Errorf("the log lacks %q:\n%s", w, Tail(log, 10))
		}
	}
	return log
}

// coordinates matches binlog coordinates in an error: file:position.
var coordinates = regexp.MustCompile(`binlog [\w.-]+\.\d{6}:\d+`)

// ExpectStop is ExpectExit1 for a source that refuses a binlog event: the
// log must also name the event's binlog coordinates.
func ExpectStop(t testing.TB, p *Proc, words ...string) {
	t.Helper()
	if log := ExpectExit1(t, p, words...); !coordinates.MatchString(log) {
		t.Errorf("the error does not name binlog coordinates:\n%s", Tail(log, 10))
	}
}

// MustContain fails the test (without stopping it) for each of wants that
// text, described as what, lacks.
func MustContain(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, Tail(text, 25))
		}
	}
}

// WaitLog waits until p's log holds n lines containing all of words.
func WaitLog(t testing.TB, p *Proc, timeout time.Duration, n int, words ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if len(linesWith(p.Log(), words)) >= n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("log has not %d lines with %q after %s:\n%s", n, words, timeout, Tail(p.Log(), 40))
}

// LogInts returns the integer values of key= on the log lines holding all
// of words.
func LogInts(log, key string, words ...string) []int {
	re := regexp.MustCompile(`\b` + key + `=(\d+)`)
	var out []int
	for _, line := range linesWith(log, words) {
		if m := re.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	return out
}

// linesWith returns the lines of log that contain every one of words.
func linesWith(log string, words []string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// ShowLog logs p's whole log when SLUICE_SHOW_LOG is set.
func ShowLog(t testing.TB, p *Proc) {
	if os.Getenv("SLUICE_SHOW_LOG") != "" {
		t.Log(p.Log())
	}
}
