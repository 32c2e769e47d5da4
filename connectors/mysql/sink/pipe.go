package sink

import (
	"context"
	"sync"
)

// Pipelined statements. Building a multi-row statement (converting each
// value, sql.go) costs the sink CPU, and the replica's work on it
// leaves the sink idle: done one after the other, the two add up. Within
// one replica transaction the writer therefore hands each statement to
// a goroutine that runs them on the transaction in order while the next
// one is built: one runs, one waits, the builder works on a third.
//
// Contract: statements run in the order exec was called, on the one
// transaction. The first error stops the rest (they are not run) and is
// returned, described by its own statement's describe, by that exec or a
// later one, and by wait. wait returns once every statement handed over
// has run (or was passed over after an error); the transaction may be used
// directly only after wait, and must not be committed while statements
// are pending. close ends the goroutine; it is called once, after the last
// wait, before the transaction ends. The poison path (applier.careful) and
// the retry in careful mode run statements one by one without a pipe, so
// an error there is always the current statement's.
type stmtPipe struct {
	run     func(ctx context.Context, q string, args []any) error // runs one statement on the transaction
	in      chan pipedStmt
	pending sync.WaitGroup
	mu      sync.Mutex
	err     error
	done    chan struct{}
}

type pipedStmt struct {
	ctx      context.Context
	q        string
	args     []any
	describe func(error) error
}

func newStmtPipe(run func(ctx context.Context, q string, args []any) error) *stmtPipe {
	p := &stmtPipe{run: run, in: make(chan pipedStmt, 1), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *stmtPipe) loop() {
	defer close(p.done)
	for st := range p.in {
		if p.failed() == nil {
			if err := p.run(st.ctx, st.q, st.args); err != nil {
				p.mu.Lock()
				p.err = st.describe(err)
				p.mu.Unlock()
			}
		}
		p.pending.Done()
	}
}

func (p *stmtPipe) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// exec queues a statement; args must not be changed afterwards.
func (p *stmtPipe) exec(ctx context.Context, q string, args []any, describe func(error) error) error {
	if err := p.failed(); err != nil {
		return err
	}
	p.pending.Add(1)
	select {
	case p.in <- pipedStmt{ctx: ctx, q: q, args: args, describe: describe}:
	case <-ctx.Done():
		p.pending.Done()
		return ctx.Err()
	}
	return p.failed()
}

// wait blocks until every queued statement has run and returns the first
// error.
func (p *stmtPipe) wait() error {
	p.pending.Wait()
	return p.failed()
}

// close waits for the statements and ends the goroutine.
func (p *stmtPipe) close() {
	p.pending.Wait()
	close(p.in)
	<-p.done
}
