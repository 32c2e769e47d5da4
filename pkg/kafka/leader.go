package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/sluice-cdc/sluice/pkg/clock"
)

// Election timings. The session timeout is the smallest a stock Kafka
// broker accepts (group.min.session.timeout.ms = 6000): a dead leader's
// membership expires 6 s after its last heartbeat, and a standby, which
// heartbeats every second, leads about a second later.
const (
	ElectionSession   = 6 * time.Second
	ElectionHeartbeat = time.Second
	// ElectionLease is how long a leader keeps leading after the send time
	// of the last request the coordinator confirmed: shorter than the
	// session and the rebalance timeout, so a leader that lost contact stops
	// at least 2 s before the coordinator can elect anyone else.
	ElectionLease = ElectionSession - 2*time.Second
)

// ErrLeadershipLost is the cause of a Leadership's context once this
// member no longer leads: the lease ran out, or the coordinator no longer
// knows the member.
var ErrLeadershipLost = errors.New("leadership lost")

// Member describes an election candidate; it travels in the group's member
// metadata, so a standby can say who leads.
type Member struct {
	ID    string `json:"-"`
	Host  string `json:"host"`
	PID   int    `json:"pid"`
	Admin string `json:"admin,omitempty"`
}

func (m Member) String() string {
	s := fmt.Sprintf("%s pid %d", m.Host, m.PID)
	if m.Admin != "" {
		s += " admin " + m.Admin
	}
	return s
}

// memberMeta is what a member sends with each JoinGroup.
type memberMeta struct {
	Member
	Leads bool      `json:"leads"` // it leads now: keep it leading
	Since time.Time `json:"since"` // when it joined: the oldest standby leads next
	// Machine is this boot and PID namespace (leader_evict.go).
	Machine string `json:"machine,omitempty"`
}

// assignment is what the group leader hands every member at SyncGroup.
type assignment struct {
	Leader string `json:"leader"` // member ID of the elected leader
	Member Member `json:"member"`
}

const electionProtocol = "sluice-leader-v1"

// Leadership is this member's term as leader. Context is done once the
// term is over; Resign ends it. Its methods are safe for concurrent use.
type Leadership struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the heartbeat loop returned
	quit   context.CancelFunc
}

// Context returns a context canceled, with a cause wrapping
// ErrLeadershipLost, as soon as this member may no longer lead, or by
// Resign. It does not follow Campaign's ctx, so a leader stopping cleanly
// can still write its last checkpoint before it resigns. Work done as
// leader must stop when it is done.
func (l *Leadership) Context() context.Context { return l.ctx }

// Err returns nil while leading, else why the term ended.
func (l *Leadership) Err() error {
	if l.ctx.Err() == nil {
		return nil
	}
	return context.Cause(l.ctx)
}

// Resign ends the term and leaves the group (best effort, bounded to 2 s),
// so a standby leads at once instead of after the session timeout. Call it
// after the last write made as leader.
func (l *Leadership) Resign() {
	l.cancel(errors.New("resigned"))
	l.quit()
	<-l.done
}

// elector runs one member's side of the group protocol.
type elector struct {
	c       *kafkago.Client // its own connections: requests never wait behind produces
	group   string
	me      memberMeta
	log     *slog.Logger
	standby func(Member)

	memberID string
	gen      int
	leads    bool
	lease    time.Time // send time of the last request that confirmed the lease
	mu       sync.Mutex
	timer    *time.Timer
	term     *Leadership
}

// Campaign joins the election group and blocks until this member leads,
// returning its Leadership, or until ctx is done (it returns ctx.Err() and
// leaves the group). While it waits it is a standby: standby is called with
// the current leader each time that changes. The group is a Kafka consumer
// group of protocol type "sluice-leader" (no ZooKeeper, no topic): the
// leader keeps leading across rebalances, and when it dies the coordinator
// expires it after ElectionSession and the oldest standby leads. A candidate
// first removes members whose process ran on this machine and is gone
// (leader_evict.go), so a leader restarted after SIGKILL does not wait.
func (c *Client) Campaign(ctx context.Context, group string, me Member, log *slog.Logger, standby func(Member)) (*Leadership, error) {
	own := &kafkago.Client{Addr: kafkago.TCP(c.brokers...), Timeout: 10 * time.Second, Transport: c.sec.transport()}
	e := &elector{c: own, group: group, me: memberMeta{Member: me, Since: clock.Now().UTC(), Machine: machine()}, log: log, standby: standby}
	loopCtx, quit := context.WithCancel(context.WithoutCancel(ctx))
	elected := make(chan *Leadership, 1)
	failed := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		failed <- e.loop(loopCtx, elected, quit, done)
	}()
	select {
	case l := <-elected:
		return l, nil
	case err := <-failed:
		quit()
		if err == nil {
			err = fmt.Errorf("leader election in group %s ended before this member led", group)
		}
		return nil, err
	case <-ctx.Done():
		quit()
		<-done
		return nil, ctx.Err()
	}
}

// loop joins, syncs and heartbeats until ctx is done or this member's term
// ended; it returns an error only when it fails before electing this member.
func (e *elector) loop(ctx context.Context, elected chan<- *Leadership, quit context.CancelFunc, done chan struct{}) error {
	defer e.leave()
	e.evictDead(ctx)
	var lastLeader string
	for ctx.Err() == nil {
		joinSent := time.Now()
		a, err := e.join(ctx)
		if err != nil {
			if e.endIfLeading(err) || ctx.Err() != nil {
				return nil
			}
			e.log.Debug("leader election: join", "group", e.group, "err", err)
			sleep(ctx, ElectionHeartbeat)
			continue
		}
		if a.Leader == e.memberID {
			if !e.leads {
				e.leads = true
				e.startTerm(ctx, quit, done, elected)
			}
			e.renew(joinSent)
		} else {
			if e.endIfLeading(fmt.Errorf("%w: %s leads", ErrLeadershipLost, a.Member)) {
				return nil
			}
			if a.Leader != lastLeader && e.standby != nil {
				e.standby(a.Member)
			}
		}
		lastLeader = a.Leader
		if err := e.heartbeat(ctx); err != nil && e.endIfLeading(err) {
			return nil
		}
	}
	return nil
}

// heartbeat sends heartbeats until the group rebalances (nil) or the
// coordinator forgets this member (an error). One is in flight at a time,
// the next one ElectionHeartbeat after the previous was sent; a slow answer
// (a busy broker) still confirms the lease from its send time.
func (e *elector) heartbeat(ctx context.Context) error {
	sent := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(sent.Add(ElectionHeartbeat))):
		}
		sent = time.Now()
		rctx, cancel := context.WithTimeout(ctx, ElectionSession)
		resp, err := e.c.Heartbeat(rctx, &kafkago.HeartbeatRequest{GroupID: e.group, GenerationID: int32(e.gen), MemberID: e.memberID})
		cancel()
		if err == nil {
			err = heartbeatError(resp)
		}
		switch {
		case err == nil:
			if e.leads {
				e.renew(sent)
			}
		case errors.Is(err, kafkago.RebalanceInProgress):
			return nil
		case errors.Is(err, kafkago.UnknownMemberId), errors.Is(err, kafkago.IllegalGeneration), errors.Is(err, kafkago.FencedInstanceID):
			err = fmt.Errorf("%w: the coordinator no longer knows member %s: %v", ErrLeadershipLost, e.memberID, err)
			e.memberID = ""
			return err
		default: // the lease timer fences a leader that cannot reach the coordinator
			e.log.Debug("leader election: heartbeat", "group", e.group, "err", err)
		}
	}
}

// join runs JoinGroup and SyncGroup and returns the generation's assignment.
func (e *elector) join(ctx context.Context) (assignment, error) {
	e.me.Leads = e.leads
	meta, _ := json.Marshal(e.me)
	for {
		rctx, cancel := context.WithTimeout(ctx, ElectionSession+3*time.Second)
		resp, err := e.c.JoinGroup(rctx, &kafkago.JoinGroupRequest{
			GroupID: e.group, MemberID: e.memberID, ProtocolType: "sluice-leader",
			SessionTimeout: ElectionSession, RebalanceTimeout: ElectionSession,
			Protocols: []kafkago.GroupProtocol{{Name: electionProtocol, Metadata: kafkago.GroupProtocolSubscription{UserData: meta}}},
		})
		cancel()
		if err == nil {
			err = resp.Error
		}
		if errors.Is(err, kafkago.MemberIDRequired) {
			e.memberID = resp.MemberID
			continue
		}
		if err != nil {
			if errors.Is(err, kafkago.UnknownMemberId) || errors.Is(err, kafkago.IllegalGeneration) {
				e.memberID = ""
				return assignment{}, fmt.Errorf("%w: %v", ErrLeadershipLost, err)
			}
			return assignment{}, fmt.Errorf("join group %s: %w", e.group, err)
		}
		e.memberID, e.gen = resp.MemberID, resp.GenerationID
		var assign []kafkago.SyncGroupRequestAssignment
		if resp.LeaderID == e.memberID {
			assign = assignLeader(resp.Members)
		}
		rctx, cancel = context.WithTimeout(ctx, ElectionSession+3*time.Second)
		sresp, err := e.c.SyncGroup(rctx, &kafkago.SyncGroupRequest{
			GroupID: e.group, GenerationID: e.gen, MemberID: e.memberID,
			ProtocolType: "sluice-leader", ProtocolName: electionProtocol, Assignments: assign,
		})
		cancel()
		if err == nil {
			err = sresp.Error
		}
		if err != nil {
			return assignment{}, fmt.Errorf("sync group %s generation %d: %w", e.group, e.gen, err)
		}
		var a assignment
		if err := json.Unmarshal(sresp.Assignment.UserData, &a); err != nil {
			return assignment{}, fmt.Errorf("sync group %s generation %d: assignment %q: %w", e.group, e.gen, sresp.Assignment.UserData, err)
		}
		return a, nil
	}
}

// assignLeader picks the leader of a generation: the member that leads now
// if there is one (a rebalance never moves leadership from a live leader),
// else the member waiting longest. Every member is told who it is.
func assignLeader(members []kafkago.JoinGroupResponseMember) []kafkago.SyncGroupRequestAssignment {
	type cand struct {
		id   string
		meta memberMeta
	}
	cands := make([]cand, 0, len(members))
	for _, m := range members {
		var mm memberMeta
		_ = json.Unmarshal(m.Metadata.UserData, &mm) // unreadable: a zero Since, Leads false
		cands = append(cands, cand{m.ID, mm})
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.meta.Leads != b.meta.Leads {
			return a.meta.Leads
		}
		if !a.meta.Since.Equal(b.meta.Since) {
			return a.meta.Since.Before(b.meta.Since)
		}
		return a.id < b.id
	})
	win := cands[0]
	win.meta.ID = win.id
	ud, _ := json.Marshal(assignment{Leader: win.id, Member: win.meta.Member})
	out := make([]kafkago.SyncGroupRequestAssignment, 0, len(cands))
	for _, c := range cands {
		out = append(out, kafkago.SyncGroupRequestAssignment{MemberID: c.id, Assignment: kafkago.GroupProtocolAssignment{UserData: ud}})
	}
	return out
}

// startTerm creates the Leadership and its lease timer and hands it out.
func (e *elector) startTerm(ctx context.Context, quit context.CancelFunc, done chan struct{}, elected chan<- *Leadership) {
	lctx, cancel := context.WithCancelCause(ctx)
	e.term = &Leadership{ctx: lctx, cancel: cancel, done: done, quit: quit}
	e.mu.Lock()
	e.timer = time.AfterFunc(ElectionLease, func() {
		cancel(fmt.Errorf("%w: no heartbeat confirmed for %v", ErrLeadershipLost, ElectionLease))
	})
	e.mu.Unlock()
	go func() { <-lctx.Done(); quit() }() // a term that ended leaves the group
	e.log.Info("leader election: this process leads", "group", e.group, "member", e.memberID, "generation", e.gen)
	elected <- e.term
}

// renew extends the lease to ElectionLease after sent, the send time of a
// request the coordinator answered as confirming this member's generation.
func (e *elector) renew(sent time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.timer == nil || e.term.ctx.Err() != nil {
		return
	}
	e.timer.Reset(time.Until(sent.Add(ElectionLease)))
}

// endIfLeading ends the term when this member leads, and reports whether
// it did.
func (e *elector) endIfLeading(err error) bool {
	if !e.leads {
		return false
	}
	if !errors.Is(err, ErrLeadershipLost) {
		return false // a transient error: the lease decides
	}
	e.term.cancel(err)
	e.log.Warn("leader election: this process no longer leads", "group", e.group, "err", err)
	return true
}

// leave stops the lease timer and leaves the group, bounded to 2 s.
func (e *elector) leave() {
	e.mu.Lock()
	if e.timer != nil {
		e.timer.Stop()
	}
	if e.term != nil {
		e.term.cancel(ErrLeadershipLost)
	}
	e.mu.Unlock()
	if e.memberID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = e.c.LeaveGroup(ctx, &kafkago.LeaveGroupRequest{GroupID: e.group, Members: []kafkago.LeaveGroupRequestMember{{ID: e.memberID}}})
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// heartbeatError returns the error of a heartbeat response. kafka-go
// v0.4.51 declares the v1+ response fields in the wrong order (ErrorCode
// before ThrottleTimeMs), so the error code arrives as the low 16 bits of
// the throttle time and Error is always nil; brokers do not throttle
// heartbeats, so a non-zero "throttle" is the error code.
func heartbeatError(resp *kafkago.HeartbeatResponse) error {
	if resp.Error != nil {
		return resp.Error
	}
	if code := int16(resp.Throttle.Milliseconds()); code != 0 {
		return kafkago.Error(code)
	}
	return nil
}
