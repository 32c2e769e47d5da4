package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// machine identifies this boot of this machine and this process's PID
// namespace: two members with the same machine can tell from a PID whether
// the other's process still exists. "" when it cannot be read (then no
// member is ever evicted).
func machine() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns
}

// processGone reports whether no process has pid in this PID namespace.
func processGone(pid int) bool {
	return pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// evictDead removes from the group the members whose process ran in this
// PID namespace of this boot and no longer exists (a leader killed with
// SIGKILL and restarted here), so a restart does not wait out the dead
// member's session. A member whose PID is alive, reused or unknown is left
// to the coordinator's session timeout. Best effort: errors are ignored.
func (e *elector) evictDead(ctx context.Context) {
	if e.me.Machine == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := e.c.DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{e.group}})
	if err != nil {
		return
	}
	var dead []kafkago.LeaveGroupRequestMember
	for _, g := range resp.Groups {
		for _, m := range g.Members {
			var mm memberMeta
			if json.Unmarshal(m.MemberMetadata.UserData, &mm) != nil || mm.Machine != e.me.Machine {
				continue
			}
			if mm.PID != os.Getpid() && processGone(mm.PID) {
				dead = append(dead, kafkago.LeaveGroupRequestMember{ID: m.MemberID})
				e.log.Info("leader election: removing the membership of a process that no longer exists", "group", e.group, "member", m.MemberID, "pid", mm.PID)
			}
		}
	}
	if len(dead) > 0 {
		_, _ = e.c.LeaveGroup(ctx, &kafkago.LeaveGroupRequest{GroupID: e.group, Members: dead})
	}
}

// Candidates returns the members of election group group: the processes
// that run the connector now, leader and standbys (none when nothing runs
// it). It is a read: it joins nothing.
func (c *Client) Candidates(ctx context.Context, group string) ([]Member, error) {
	own := &kafkago.Client{Addr: kafkago.TCP(c.brokers...), Timeout: 5 * time.Second, Transport: c.sec.transport()}
	resp, err := own.DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return nil, err
	}
	var out []Member
	for _, g := range resp.Groups {
		if g.Error != nil {
			return nil, g.Error
		}
		for _, m := range g.Members {
			var mm memberMeta
			if json.Unmarshal(m.MemberMetadata.UserData, &mm) == nil {
				mm.Member.ID = m.MemberID
				out = append(out, mm.Member)
			}
		}
	}
	return out, nil
}
