package ports

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	// lowest keeps clear of the well-known and registered ports that
	// services on a developer's machine like to use (3306, 8080, 9092,
	// sluice's own 9187).
	lowest  = 10000
	highest = 65535
	// tries bounds the random picks of one Free call.
	tries = 500
	// rangeFile holds the kernel's ephemeral range on Linux.
	rangeFile = "/proc/sys/net/ipv4/ip_local_port_range"
)

var (
	mu    sync.Mutex
	given = map[int]bool{} // ports this process handed out
)

// Free returns a port on 127.0.0.1 outside the kernel's ephemeral range
// that could be bound just now and that this process has not handed out
// before. Another process may still bind it first: retry the start that
// needs it with a fresh port when it fails on a taken port (see Taken).
// Free is safe for concurrent use.
func Free() (int, error) {
	lo, hi := EphemeralRange()
	spans := outside(lo, hi)
	n := count(spans)
	if n == 0 {
		return 0, fmt.Errorf("ports: no port in %d-%d outside the ephemeral range %d-%d (%s)",
			lowest, highest, lo, hi, rangeFile)
	}
	mu.Lock()
	defer mu.Unlock()
	lastErr := errors.New("every pick was handed out before")
	for range tries {
		p := nth(spans, rand.IntN(n))
		if given[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			lastErr = err
			continue
		}
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("ports: %w", err)
		}
		given[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("ports: no free port outside the ephemeral range %d-%d after %d tries: %w",
		lo, hi, tries, lastErr)
}

// FreeT is Free for tests and benchmarks: it calls t.Fatal on error.
func FreeT(t testing.TB) int {
	t.Helper()
	p, err := Free()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Taken reports whether a process's output or error says it could not
// bind a port because another socket holds it (Go's "bind: address already
// in use", mariadbd's "Bind on TCP/IP port. Got error: 98: Address already
// in use").
func Taken(output string) bool {
	return strings.Contains(strings.ToLower(output), "address already in use")
}

// EphemeralRange returns the kernel's range of local ports for outgoing
// connections. Where it cannot be read (not Linux), it assumes 32768-65535,
// which covers Linux's default and the IANA range other systems use.
func EphemeralRange() (lo, hi int) {
	b, err := os.ReadFile(rangeFile)
	if err != nil {
		return 32768, highest
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768, highest
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo > hi {
		return 32768, highest
	}
	return lo, hi
}

// span is an inclusive range of ports.
type span struct{ first, last int }

// outside returns the spans of lowest..highest that lie outside lo..hi.
func outside(lo, hi int) []span {
	var s []span
	if lo > lowest {
		s = append(s, span{lowest, min(lo-1, highest)})
	}
	if hi < highest {
		s = append(s, span{max(hi+1, lowest), highest})
	}
	return s
}

func count(spans []span) int {
	n := 0
	for _, s := range spans {
		n += s.last - s.first + 1
	}
	return n
}

// nth returns the i-th port of spans, 0 <= i < count(spans).
func nth(spans []span, i int) int {
	for _, s := range spans {
		if size := s.last - s.first + 1; i >= size {
			i -= size
			continue
		}
		return s.first + i
	}
	panic("ports: index past the spans")
}
