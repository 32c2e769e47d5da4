package e2e

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// FaultSeed returns the seed of a random fault schedule: SLUICE_FAULT_SEED
// when set, else the clock. It logs the seed so a failure can be replayed.
func FaultSeed(t testing.TB) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	if v := os.Getenv("SLUICE_FAULT_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("SLUICE_FAULT_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("fault seed %d (replay with SLUICE_FAULT_SEED=%d)", seed, seed)
	return seed
}

// EnvInt returns the positive integer in the environment variable name,
// or def when it is unset.
func EnvInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// Result is "pass", or "FAIL" once t has failed: the last column of a
// SoakRow.
func Result(t testing.TB) string {
	if t.Failed() {
		return "FAIL"
	}
	return "pass"
}

// SoakRow logs one row of the fault report and, when SLUICE_SOAK_REPORT
// names a file, appends it there tab-separated (make soak prints the file
// as a table): scenario, faults injected, rows checked, recovery time,
// result.
func SoakRow(t testing.TB, scenario string, faults, rows int, recovery, result string) {
	t.Helper()
	line := fmt.Sprintf("%s\t%d\t%d\t%s\t%s", scenario, faults, rows, recovery, result)
	t.Logf("REPORT %s", line)
	p := os.Getenv("SLUICE_SOAK_REPORT")
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("soak report: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}
