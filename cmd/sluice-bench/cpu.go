package main

import (
	"fmt"
	"os"
	"strings"
)

// CPU accounting. Every process of a replay shares the machine's cores, so
// a replay's time is bounded by the CPU all of them need: the harness
// reports the CPU seconds (user + system, from /proc/<pid>/stat) each
// process spent, native and sluice, next to the wall-clock times.

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on
// Linux for every architecture Go supports).
const clockTicks = 100

// cpuSeconds returns the user + system CPU time a process has used so
// far, or -1 when it cannot be read (pid 0: not running).
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 { // state is field 3; utime, stime are fields 14, 15
		return -1
	}
	var ut, st int64
	if _, err := fmt.Sscan(f[11], &ut); err != nil {
		return -1
	}
	if _, err := fmt.Sscan(f[12], &st); err != nil {
		return -1
	}
	return float64(ut+st) / clockTicks
}

// cpuMeter measures the CPU time a set of processes spend from its start.
type cpuMeter struct {
	pids  []int
	start []float64
}

func newCPUMeter(pids ...int) *cpuMeter {
	m := &cpuMeter{pids: pids}
	for _, p := range pids {
		m.start = append(m.start, cpuSeconds(p))
	}
	return m
}

// spent returns each process's CPU seconds since the meter started (-1
// where unknown).
func (m *cpuMeter) spent() []float64 {
	out := make([]float64, len(m.pids))
	for i, p := range m.pids {
		now := cpuSeconds(p)
		if now < 0 || m.start[i] < 0 {
			out[i] = -1
			continue
		}
		out[i] = now - m.start[i]
	}
	return out
}

// procPid returns a sluice process's pid, 0 when it is not running.
func procPid(x *proc) int {
	if x == nil || x.cmd == nil || x.cmd.Process == nil {
		return 0
	}
	return x.cmd.Process.Pid
}

// cpuLine formats named CPU seconds and their sum.
func cpuLine(names []string, secs []float64) string {
	var parts []string
	total := 0.0
	for i, n := range names {
		if secs[i] < 0 {
			parts = append(parts, n+" ?")
			continue
		}
		total += secs[i]
		parts = append(parts, fmt.Sprintf("%s %.2f", n, secs[i]))
	}
	return fmt.Sprintf("%.2f s (%s)", total, strings.Join(parts, ", "))
}
