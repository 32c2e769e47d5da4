package report

import (
	"strings"
	"sync"
	"time"
)

// Refresh is how often a running connector refreshes what its own
// traffic does not tell it: the server's end of binlog (source), the
// partitions' high watermarks (sink). Gauges derived from them stay current
// while no rows flow.
const Refresh = 2 * time.Second

// QueryTimeout bounds the queries Status runs on behalf of an HTTP
// handler.
const QueryTimeout = 2 * time.Second

// RateMeter measures events per second over roughly the last rateWindow.
// It is safe for concurrent use.
type RateMeter struct {
	mu      sync.Mutex
	total   int64
	samples []rateSample // oldest first, at least a second apart
}

type rateSample struct {
	at    time.Time
	total int64
}

const rateWindow = 10 * time.Second

// Add counts n events now.
func (r *RateMeter) Add(n int) {
	r.mu.Lock()
	r.sample(time.Now()) // before adding: the window's base excludes these
	r.total += int64(n)
	r.mu.Unlock()
}

// Rate returns events per second since the oldest sample of the window.
func (r *RateMeter) Rate() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.sample(now)
	base := r.samples[0]
	el := now.Sub(base.at).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(r.total-base.total) / el
}

func (r *RateMeter) sample(now time.Time) {
	if n := len(r.samples); n == 0 || now.Sub(r.samples[n-1].at) >= time.Second {
		r.samples = append(r.samples, rateSample{now, r.total})
	}
	for len(r.samples) > 1 && now.Sub(r.samples[1].at) >= rateWindow {
		r.samples = r.samples[1:]
	}
}

// ShortErr keeps the first line of an error for a status field.
func ShortErr(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
