package main

import (
	"database/sql"
	"fmt"
	"time"
)

// catchUp is the outcome of one sluice replay.
type catchUp struct {
	total, readEnd time.Duration // start to last row applied; start to last row published
	firstPub       time.Duration // start to the first row published (startup)
	published      float64
	applied        float64
	commits        float64 // replica transactions the sink committed
	flushes        float64 // produce rounds of the source (each waits for its acks)
	flushSecs      float64 // time the source spent in them
	rssSrc         string  // peak RSS of the source process
	rssSink        string  // and of the sink process
	rssBroker      string  // and of the embedded broker
	profiles       string  // the profiles' top functions, when profiling
	cpu            string  // CPU seconds of every process until caught up (cpu.go)
	sinkPhases     string  // the sink's time by phase (sluice_sink_seconds_total)
}

// replaySluice starts the pinned pipeline again and waits until it has
// published and applied everything: the marker row (the source's last
// transaction) is on the replica and the sink's applied count equals the
// source's published count. Times are taken at the last poll (every 50ms)
// at which each counter moved. With prof, CPU and heap profiles of the
// source and the sink are taken from the first row published on.
func (p *pipeline) replaySluice(src, dstServer *server, timeout time.Duration, prof *profiler) (catchUp, error) {
	dst := dstServer.db
	start := time.Now()
	servers := newCPUMeter(dstServer.Pid(), src.Pid())
	if err := p.start(); err != nil {
		return catchUp{}, err
	}
	var r catchUp
	var lastPub, lastApp float64
	var profDone chan string
	for {
		if err := p.failed(); err != nil {
			return r, err
		}
		if time.Since(start) > timeout {
			return r, fmt.Errorf("sluice not caught up after %s (published %.0f, applied %.0f)\n%s\n%s",
				timeout, lastPub, lastApp, p.logTail(p.src), p.logTail(p.sink))
		}
		pub, app, err := p.counters()
		now := time.Since(start)
		if err == nil {
			if pub > 0 && r.firstPub == 0 {
				r.firstPub = now
				if prof != nil {
					profDone = make(chan string, 1)
					go func() { profDone <- prof.capture(p) }()
				}
			}
			if pub != lastPub {
				lastPub, r.readEnd = pub, now
			}
			if app != lastApp {
				lastApp, r.total = app, now
			}
			if pub > 0 && app == pub && markerArrived(dst) {
				// Counters can trail the commit by a moment: re-read once.
				time.Sleep(100 * time.Millisecond)
				if pub2, app2, err := p.counters(); err == nil && pub2 == pub && app2 == app {
					break
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.published, r.applied = lastPub, lastApp
	// The sluice processes are new: all their CPU time is the replay's.
	secs := append([]float64{cpuSeconds(procPid(p.src)), cpuSeconds(procPid(p.sink)), cpuSeconds(procPid(p.broker))}, servers.spent()...)
	r.cpu = cpuLine([]string{"source", "sink", "broker", "replica server", "source server"}, secs)
	if profDone != nil {
		r.profiles = <-profDone // the processes stay up until the profiles are taken
	}
	r.rssSrc, r.rssSink, r.rssBroker = vmHWM(p.src), vmHWM(p.sink), vmHWM(p.broker)
	s, _ := metrics(p.src, mProduces, mProduceS)
	k, _ := metrics(p.sink, mCommits, mSinkRead, mSinkApply, mSinkCommit)
	r.commits, r.flushes, r.flushSecs = k[mCommits], s[mProduces], s[mProduceS]
	r.sinkPhases = fmt.Sprintf("read %.2f s, apply %.2f s, commit %.2f s", k[mSinkRead], k[mSinkApply], k[mSinkCommit])
	return r, nil
}

// markerArrived reports whether the marker row, written last on the
// source, is on the replica.
func markerArrived(db *sql.DB) bool {
	var n int
	err := db.QueryRow("SELECT COUNT(*) FROM bench.marker").Scan(&n)
	return err == nil && n == 1
}
