package mariadbtest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fatalTB records Fatalf and stops its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestNotInstalled checks that a missing mariadbd fails (never skips) with
// a message that says how to install it.
func TestNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := extraBinDirs
	extraBinDirs = []string{t.TempDir()}
	t.Cleanup(func() { extraBinDirs = saved })

	if _, err := StartProcess(t.TempDir(), Options{}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("StartProcess error = %v, want ErrNotInstalled", err)
	}
	if testing.Short() {
		return // Start skips before it looks for mariadbd
	}
	f := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f, Options{})
	}()
	<-done
	for _, want := range []string{".ci/run", "apt-get install mariadb-server mariadb-client"} {
		if !strings.Contains(f.msg, want) {
			t.Errorf("Start's fatal message %q lacks %q", f.msg, want)
		}
	}
}
