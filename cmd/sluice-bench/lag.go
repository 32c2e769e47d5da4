package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// lagResult is the measurement of the lag workload.
type lagResult struct {
	rate           float64 // source transactions/s achieved while lag was measured
	sluice, native lagStats
	hbCommit       lagStats // the source's commit time of the heartbeat UPDATEs
	outage         time.Duration
	srcRowRate     float64       // row changes/s the source published during the outage
	catchUp        time.Duration // sink restart to lag under 1 s
	catchRows      float64       // rows the restarted sink applied by then
	rssSrc         string
	rssSink        string
	equal          []string
}

// lagStats are the lags seen on one replica, one sample per heartbeat.
type lagStats struct {
	n             int
	p50, p99, max time.Duration
}

const lagDDL = `CREATE TABLE bench.heartbeat (id INT PRIMARY KEY, ts DATETIME(6) NOT NULL);
CREATE TABLE bench.steady (id BIGINT PRIMARY KEY, k INT NOT NULL, v VARCHAR(64) NOT NULL, n BIGINT NOT NULL)`

// runLag measures end-to-end lag: a source with a sluice replica (broker,
// source and sink processes) and a native replica (one SQL thread), both
// following live from before the first row; a steady load of c.lagRate
// single-row transactions/s (half INSERTs, half UPDATEs) runs on the source
// while a heartbeat row is updated with NOW(6) every 100 ms. A poller per
// replica reads the heartbeat every 5 ms; the first time it sees a new
// value, the lag is the wall clock minus that value (one clock: every
// process runs on this machine). The poll bounds the error at 5 ms plus a
// query, and the replicas are only read: no trigger or extra table there.
// Both replicas are measured at once, under the same load.
//
// Then, with the load still running, the sink is stopped for c.outage and
// started again; the catch-up lasts until the replica's heartbeat lag is
// under 1 s, and its rate (rows the new sink applied / catch-up time) is
// compared with the source's rate during the outage.
func runLag(c config) (*lagResult, error) {
	dir := subdir(c.dir, "lag")
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	names := []string{"source", "replica-sluice", "replica-native"}
	if !c.lagNative {
		names = names[:2]
	}
	var srvs []*server
	for _, n := range names {
		s, err := startServer(c, subdir(dir, n))
		if err != nil {
			return nil, err
		}
		defer s.stop(c.keep)
		srvs = append(srvs, s)
	}
	src, followers := srvs[0], srvs[1:] // followers[0] is sluice's replica
	dst := followers[0]
	if _, err := src.db.Exec(schema + ";\n" + lagDDL); err != nil {
		return nil, err
	}
	p, err := newPipeline(c, subdir(dir, "sluice"), src, dst, []string{"bench"}, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if err := p.start(); err != nil {
		return nil, err
	}
	if err := p.waitReady(60 * time.Second); err != nil {
		return nil, err
	}
	if c.lagNative {
		if err := startNative(followers[1], src, 0); err != nil {
			return nil, err
		}
	}
	if _, err := src.db.Exec("INSERT INTO bench.heartbeat VALUES (1, NOW(6))"); err != nil {
		return nil, err
	}
	for _, r := range followers {
		if _, err := waitHeartbeat(r.db, time.Minute, nil); err != nil {
			return nil, err
		}
	}

	r := &lagResult{outage: c.outage}
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	ld := startLoad(ctx, src.db, c.lagRate)
	pctx, stopPoll := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var lags [2][]lagSample
	for i, f := range followers {
		wg.Add(1)
		go func() { defer wg.Done(); lags[i] = pollLag(pctx, f.db) }()
	}
	t0, n0 := time.Now(), ld.done.Load()
	time.Sleep(c.lagDuration)
	r.rate = float64(ld.done.Load()-n0) / time.Since(t0).Seconds()
	stopPoll()
	wg.Wait()
	r.sluice, r.native = stats(lags[0]), stats(lags[1])
	r.hbCommit = stats(ld.heartbeatCommits(t0, time.Now()))
	if c.lagSamples != "" {
		if err := writeSamples(c.lagSamples, lags); err != nil {
			return nil, err
		}
	}
	fmt.Printf("  lag at %.0f transactions/s: sluice %s; native %s\n", r.rate, r.sluice, r.native)
	if err := ld.failed(); err != nil {
		return nil, err
	}
	if err := p.failed(); err != nil {
		return nil, err
	}
	r.rssSink = vmHWM(p.sink)
	if c.outage > 0 {
		if err := outage(c, p, dst.db, r); err != nil {
			return nil, err
		}
	}
	stopLoad()
	ld.wg.Wait()
	if err := ld.failed(); err != nil {
		return nil, err
	}
	return r, finishLag(c, p, src, followers, r)
}

// outage stops the sink for c.outage under the running load, starts it
// again and times its catch-up.
func outage(c config, p *pipeline, dst *sql.DB, r *lagResult) error {
	if err := stopProc(p.sink); err != nil {
		return fmt.Errorf("stopping the sink: %w", err)
	}
	m0, err := metrics(p.src, mPublished)
	if err != nil {
		return err
	}
	t0 := time.Now()
	time.Sleep(c.outage)
	m1, err := metrics(p.src, mPublished)
	if err != nil {
		return err
	}
	r.srcRowRate = (m1[mPublished] - m0[mPublished]) / time.Since(t0).Seconds()
	restart := time.Now()
	if err := p.startProc(p.sink); err != nil {
		return err
	}
	if _, err := waitHeartbeat(dst, c.replayTimeout, func(lag time.Duration) bool { return lag < time.Second }); err != nil {
		return fmt.Errorf("sink catch-up after the outage: %w\n%s", err, p.logTail(p.sink))
	}
	r.catchUp = time.Since(restart)
	k, err := metrics(p.sink, mApplied)
	if err != nil {
		return err
	}
	r.catchRows = k[mApplied]
	fmt.Printf("  sink stopped %s at %.0f rows/s: caught up (lag < 1 s) %s after its restart, %.0f rows applied (%.0f rows/s, %.2fx the source's rate)\n",
		c.outage, r.srcRowRate, r.catchUp.Round(time.Millisecond), r.catchRows, r.catchRows/r.catchUp.Seconds(), r.catchRows/r.catchUp.Seconds()/r.srcRowRate)
	return nil
}

// finishLag writes the marker row, waits for both replicas to hold all of
// the source and compares them with it.
func finishLag(c config, p *pipeline, src *server, followers []*server, r *lagResult) error {
	dst := followers[0]
	if _, err := src.db.Exec("INSERT INTO bench.marker VALUES (1, NOW(6))"); err != nil {
		return err
	}
	endFile, endPos, err := binlogEnd(src.db)
	if err != nil {
		return err
	}
	if c.lagNative {
		if err := waitNative(followers[1], endFile, endPos, c.replayTimeout); err != nil {
			return err
		}
	}
	for deadline := time.Now().Add(c.replayTimeout); !markerArrived(dst.db); time.Sleep(50 * time.Millisecond) {
		if err := p.failed(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sluice replica without the marker row after %s", c.replayTimeout)
		}
	}
	r.rssSrc = vmHWM(p.src)
	if h := vmHWM(p.sink); c.outage > 0 {
		r.rssSink += "," + h // before and after the outage
	}
	for i, f := range followers {
		eq, err := compare(src.db, f.db, []string{"bench"})
		if err != nil {
			return err
		}
		r.equal = append(r.equal, []string{"sluice", "native"}[i]+" "+eq)
	}
	return nil
}

// load is the steady load of the lag workload.
type load struct {
	wg   sync.WaitGroup
	done atomic.Int64 // transactions committed
	err  atomic.Pointer[error]
	mu   sync.Mutex
	hb   []lagSample // each heartbeat UPDATE: its NOW(6) and how long the source took to commit it
}

// heartbeatCommits returns the source's commit times of the heartbeats
// written in [from, to): part of every lag measured, as NOW(6) is taken
// when the UPDATE starts.
func (l *load) heartbeatCommits(from, to time.Time) []lagSample {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []lagSample
	for _, x := range l.hb {
		if !x.at.Before(from) && x.at.Before(to) {
			out = append(out, x)
		}
	}
	return out
}

func (l *load) failed() error {
	if e := l.err.Load(); e != nil {
		return fmt.Errorf("steady load: %w", *e)
	}
	return nil
}

// startLoad commits rate single-row transactions per second on db until
// ctx is done: transaction i is due at i/rate s after the start and is
// taken by one of 8 clients (a slow source lowers the achieved rate rather
// than queueing), even i INSERTs row i/2+1, odd i UPDATEs a random existing
// row. Another goroutine updates the heartbeat row with NOW(6) every 100 ms.
func startLoad(ctx context.Context, db *sql.DB, rate int) *load {
	l := &load{}
	fail := func(err error) {
		if ctx.Err() == nil {
			l.err.CompareAndSwap(nil, &err)
		}
	}
	jobs := make(chan int)
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		defer close(jobs)
		start := time.Now()
		for i := 0; ; i++ {
			time.Sleep(time.Until(start.Add(time.Duration(float64(i) * float64(time.Second) / float64(rate)))))
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				start := time.Now()
				if _, err := db.Exec("UPDATE bench.heartbeat SET ts = NOW(6) WHERE id = 1"); err != nil {
					fail(err)
					continue
				}
				l.mu.Lock()
				l.hb = append(l.hb, lagSample{start, time.Since(start)})
				l.mu.Unlock()
			}
		}
	}()
	for w := 0; w < 8; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 44))
			for i := range jobs {
				var err error
				if i%2 == 0 {
					_, err = db.Exec("INSERT INTO bench.steady VALUES (?, ?, ?, 0)", i/2+1, i%1000, fmt.Sprintf("row %d", i))
				} else {
					_, err = db.Exec("UPDATE bench.steady SET n = n + 1, v = ? WHERE id = ?", fmt.Sprintf("upd %d", i), 1+rng.IntN(i/2+1))
				}
				if err != nil {
					fail(err)
					continue
				}
				l.done.Add(1)
			}
		}()
	}
	return l
}

// heartbeat returns the heartbeat row's time on db.
func heartbeat(db *sql.DB) (time.Time, error) {
	var s string
	if err := db.QueryRow("SELECT UNIX_TIMESTAMP(ts) FROM bench.heartbeat WHERE id = 1").Scan(&s); err != nil {
		return time.Time{}, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, err
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9+0.5)).Truncate(time.Microsecond), nil
}

// waitHeartbeat waits until db has the heartbeat row and, when ok is not
// nil, until ok accepts its lag.
func waitHeartbeat(db *sql.DB, timeout time.Duration, ok func(time.Duration) bool) (time.Duration, error) {
	var lastErr error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ts, err := heartbeat(db)
		if err != nil {
			lastErr = err
			continue
		}
		if lag := time.Since(ts); ok == nil || ok(lag) {
			return lag, nil
		}
	}
	return 0, fmt.Errorf("replica heartbeat not there or not recent after %s (last error: %v)", timeout, lastErr)
}

// lagSample is one heartbeat seen on a replica: its source time and lag.
type lagSample struct {
	at  time.Time
	lag time.Duration
}

// pollLag reads db's heartbeat every 5 ms until ctx is done and returns
// the lag of each new value, when first seen.
func pollLag(ctx context.Context, db *sql.DB) []lagSample {
	var out []lagSample
	var last time.Time
	for ctx.Err() == nil {
		if ts, err := heartbeat(db); err == nil && ts.After(last) {
			if !last.IsZero() {
				out = append(out, lagSample{ts, time.Since(ts)})
			}
			last = ts
		}
		time.Sleep(5 * time.Millisecond)
	}
	return out
}

// stats returns the median, 99th percentile and maximum of the lags.
func stats(samples []lagSample) lagStats {
	if len(samples) == 0 {
		return lagStats{}
	}
	s := make([]time.Duration, len(samples))
	for i, x := range samples {
		s[i] = x.lag
	}
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return lagStats{n: len(s), p50: q(0.50), p99: q(0.99), max: s[len(s)-1]}
}
