package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// XA transactions (MariaDB 10.5+ binlog). A prepared XA transaction is a
// binlog group of its own: a GTID event flagged FL_PREPARED_XA (it stands
// for XA START), its rows, "XA END xid" and an XA_PREPARE_LOG_EVENT. Its
// outcome comes later, in another group: "XA COMMIT xid" or "XA ROLLBACK
// xid". sluice holds the prepared rows in memory and publishes them as
// one transaction at XA COMMIT, with the commit's Seq and position, or
// drops them at XA ROLLBACK. While any is prepared, the recorded resume
// position stays before the earliest prepared group, so a restart reads
// it again; the transactions read again after it are published again
// with their Seqs, which sinks skip as already applied. An XA COMMIT whose
// XA PREPARE lies before the resume position stops the reader.

// flPreparedXA is MariaDB's GTID event flag for the group of an XA PREPARE.
const flPreparedXA = 64

// xaState is a source's XA bookkeeping.
type xaState struct {
	buf     *xaBuffer            // the prepared group being read, else nil
	pending map[string]*xaBuffer // prepared and not yet committed or rolled back, by xid
}

// xaBuffer holds one prepared XA transaction.
type xaBuffer struct {
	xid     string
	changes []xaChange
	hold    event.Position // where a restart must resume to read this group again
	holdSeq event.Seq
}

type xaChange struct {
	ch  *event.Change
	key event.Row
}

// xaBegin starts holding rows at a GTID event of a prepared XA group.
func (st *streamer) xaBegin(e *replication.MariadbGTIDEvent) {
	if e.Flags&flPreparedXA != 0 {
		st.s.xa.buf = &xaBuffer{hold: st.s.pub.Acked, holdSeq: st.s.pub.AckedSeq}
	}
}

// xaHold returns the change for the open prepared XA group to hold, or
// false outside one.
func (st *streamer) xaHold(ch *event.Change, key event.Row) bool {
	if st.s.xa.buf == nil {
		return false
	}
	st.s.xa.buf.changes = append(st.s.xa.buf.changes, xaChange{ch, key})
	return true
}

// xaQuery handles the XA statements of the binlog.
func (st *streamer) xaQuery(ctx context.Context, h *replication.EventHeader, q string) error {
	up := strings.ToUpper(q)
	xa := &st.s.xa
	switch {
	case strings.HasPrefix(up, "XA END ") && xa.buf != nil:
		xa.buf.xid = strings.TrimSpace(q[len("XA END "):])
		return nil
	case strings.HasPrefix(up, "XA COMMIT "):
		xid := strings.TrimSpace(q[len("XA COMMIT "):])
		if strings.HasSuffix(strings.ToUpper(xid), " ONE PHASE") {
			return xaRefused(st.where(h), q)
		}
		b := xa.pending[xid]
		if b == nil {
			return &connector.Fatal{Err: fmt.Errorf("binlog %s: %s: its XA PREPARE is not in the binlog read since the resume position, "+
				"so its rows are unknown: stopping rather than losing them", st.where(h), q)}
		}
		delete(xa.pending, xid)
		if err := st.ensurePubTx(); err != nil {
			return err
		}
		for _, c := range b.changes {
			if err := st.s.pub.Add(ctx, c.ch, c.key); err != nil {
				return err
			}
		}
		return st.commit(h)
	case strings.HasPrefix(up, "XA ROLLBACK "):
		delete(xa.pending, strings.TrimSpace(q[len("XA ROLLBACK "):]))
		return st.commit(h)
	}
	return xaRefused(st.where(h), q)
}

// xaPrepare closes a prepared XA group: its rows wait for the outcome.
func (st *streamer) xaPrepare(h *replication.EventHeader, e *replication.GenericEvent) error {
	xa := &st.s.xa
	b := xa.buf
	if b == nil || b.xid == "" || (len(e.Data) > 0 && e.Data[0] != 0) { // not after XA END, or one phase
		return xaRefused(st.where(h), "XA PREPARE")
	}
	xa.buf = nil
	if xa.pending == nil {
		xa.pending = map[string]*xaBuffer{}
	}
	xa.pending[b.xid] = b
	return st.commit(h) // no rows published: no marker; the position waits (heldPosition)
}

// heldPosition returns the position and Seq to record given the
// acknowledged ones: the earliest prepared XA group's hold when one is
// pending, else the acknowledged ones.
func (x *xaState) heldPosition(acked event.Position, ackedSeq event.Seq) (event.Position, event.Seq) {
	pos, seq := acked, ackedSeq
	for _, b := range x.pending {
		if positionLess(b.hold, pos) {
			pos, seq = b.hold, b.holdSeq
		}
	}
	if b := x.buf; b != nil && positionLess(b.hold, pos) {
		pos, seq = b.hold, b.holdSeq
	}
	return pos, seq
}

// positionLess orders binlog positions by file number, then offset.
func positionLess(a, b event.Position) bool {
	na, err1 := event.BinlogFileNumber(a.File)
	nb, err2 := event.BinlogFileNumber(b.File)
	if err1 != nil || err2 != nil || na != nb {
		return err1 == nil && err2 == nil && na < nb
	}
	return a.Pos < b.Pos
}
