package faults

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestProductionBinaryHasNoHooks builds sluice as it ships (no build tags)
// and checks that no SLUICE_TEST_ variable is in it: no environment can
// make a deployed sluice exit or slow down on purpose.
func TestProductionBinaryHasNoHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sluice binary")
	}
	bin := filepath.Join(t.TempDir(), "sluice")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/sluice-cdc/sluice/cmd/sluice").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(b, []byte("SLUICE_TEST_")); i >= 0 {
		end := min(i+40, len(b))
		t.Errorf("the production binary holds %q: a test hook is compiled in without -tags sluicefault", b[i:end])
	}
}
