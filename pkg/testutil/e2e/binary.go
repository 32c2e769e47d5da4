package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// mainPkg is the package Binary builds.
const mainPkg = "github.com/sluice-cdc/sluice/cmd/sluice"

// FaultTag is the build tag that compiles the SLUICE_TEST_* fault hooks
// into the binary; a release build has none of them.
const FaultTag = "sluicefault"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Main runs the tests of m, then removes the binary Binary built. A test
// package that uses Binary calls it from its TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// Binary returns the path of the sluice binary, built on the first call
// of the test binary with the race detector, so that the multi-process
// tests also hunt races (SLUICE_E2E_NORACE=1 builds a plain binary for
// measurements), and with -tags sluicefault. Under -short it skips the
// test: -short runs only tests that need no server and no binary.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: runs the sluice binary; skipped with -short")
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "sluice-bin")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "sluice")
		args := []string{"build", "-race", "-tags", FaultTag, "-o", build.path, mainPkg}
		if os.Getenv("SLUICE_E2E_NORACE") == "1" {
			args = []string{"build", "-tags", FaultTag, "-o", build.path, mainPkg}
		}
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go %v: %w\n%s", args, err, out)
		}
	})
	if build.err != nil {
		t.Fatalf("build sluice: %v", build.err)
	}
	return build.path
}

// Run runs sluice with args to its end and returns its exit code and its
// combined output.
func Run(t testing.TB, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(Binary(t), args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("run sluice %v: %v", args, err)
	}
	return 0, string(out)
}

// Output runs sluice with args to its end and returns its standard output
// and exit code; its standard error is logged when it fails.
func Output(t testing.TB, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(Binary(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		if errb.Len() > 0 {
			t.Logf("sluice %s stderr: %s", args[0], errb.String())
		}
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("sluice %v: %v", args, err)
	return "", 0
}
