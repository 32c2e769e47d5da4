package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// GTID sets of the two flavors, as a failover compares them (failover.go).
// A MariaDB set is a position: per replication domain the GTID with the
// highest seq_no (what @@gtid_binlog_pos reports); a domain's transactions
// are ordered by seq_no, so a server holds a set when, in every domain, its
// seq_no is at least as high. A MySQL set is a set of UUID:interval ranges
// (@@gtid_executed) and containment is set inclusion.

// ParseGTIDs parses a GTID set of flavor. For MariaDB, a list naming one
// domain several times (a binlog state: one GTID per domain and server)
// keeps the highest seq_no per domain.
func ParseGTIDs(flavor, s string) (gomysql.GTIDSet, error) {
	s = strings.Join(strings.Fields(s), "")
	if flavor != "mariadb" {
		return gomysql.ParseMysqlGTIDSet(s)
	}
	set := &gomysql.MariadbGTIDSet{Sets: map[uint32]*gomysql.MariadbGTID{}}
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		g, err := gomysql.ParseMariadbGTID(part)
		if err != nil {
			return nil, err
		}
		if cur := set.Sets[g.DomainID]; cur == nil || cur.SequenceNumber < g.SequenceNumber {
			set.Sets[g.DomainID] = g
		}
	}
	return set, nil
}

// MissingGTIDs lists the GTIDs of want that have lacks, one entry per
// MariaDB domain or MySQL UUID, in the form an operator can look up.
func MissingGTIDs(want, have gomysql.GTIDSet) []string {
	switch w := want.(type) {
	case *gomysql.MariadbGTIDSet:
		h, _ := have.(*gomysql.MariadbGTIDSet)
		var out []string
		for _, g := range w.Sets {
			var cur *gomysql.MariadbGTID
			if h != nil {
				cur = h.Sets[g.DomainID]
			}
			switch {
			case cur == nil:
				out = append(out, fmt.Sprintf("domain %d: seq_no 1 to %d (up to %s; the server has no GTID of domain %d)",
					g.DomainID, g.SequenceNumber, g, g.DomainID))
			case cur.SequenceNumber < g.SequenceNumber:
				out = append(out, fmt.Sprintf("domain %d: seq_no %d to %d (%d-%d-%d up to %s; the server stops at %s)",
					g.DomainID, cur.SequenceNumber+1, g.SequenceNumber, g.DomainID, g.ServerID, cur.SequenceNumber+1, g, cur))
			}
		}
		slices.Sort(out)
		return out
	case *gomysql.MysqlGTIDSet:
		h, _ := have.(*gomysql.MysqlGTIDSet)
		miss := gomysql.NewMysqlGTIDSet()
		for u, tags := range *w {
			for tag, ivs := range tags {
				var got gomysql.IntervalSlice
				if h != nil {
					got = (*h)[u][tag]
				}
				if gaps := intervalsMinus(ivs, got); len(gaps) > 0 {
					if miss[u] == nil {
						miss[u] = map[gomysql.Tag]gomysql.IntervalSlice{}
					}
					miss[u][tag] = gaps
				}
			}
		}
		if len(miss) == 0 {
			return nil
		}
		return strings.Split(miss.String(), ",")
	}
	return []string{"GTID set " + want.String()}
}

// intervalsMinus returns the parts of a not in b; both are normalized
// (sorted, merged, [Start, Stop)).
func intervalsMinus(a, b gomysql.IntervalSlice) gomysql.IntervalSlice {
	var out gomysql.IntervalSlice
	for _, iv := range a {
		start := iv.Start
		for _, x := range b {
			if x.Stop <= start || x.Start >= iv.Stop {
				continue
			}
			if x.Start > start {
				out = append(out, gomysql.Interval{Start: start, Stop: x.Start})
			}
			start = max(start, x.Stop)
		}
		if start < iv.Stop {
			out = append(out, gomysql.Interval{Start: start, Stop: iv.Stop})
		}
	}
	return out
}

// gtidInfo finds the GTID in the Info column of a GTID event of SHOW
// BINLOG EVENTS: "BEGIN GTID 0-1-5" or "GTID 0-1-5" on MariaDB,
// "SET @@SESSION.GTID_NEXT= 'uuid:5'" on MySQL.
var gtidInfo = regexp.MustCompile(`GTID (\d+-\d+-\d+)|GTID_NEXT\s*=\s*'([^']+)'`)

// binlogEvent is one row of SHOW BINLOG EVENTS.
type binlogEvent struct {
	pos, end uint64
	typ      string
	info     string
}

// GTIDPosition returns the position in the server's binlog where the GTID
// set want ends: every transaction before it is in want and none after it
// is. It starts at the newest binlog file whose header set (Gtid_list on
// MariaDB, Previous_gtids on MySQL) is in want, and replays the GTID events
// from there. It fails when no such position exists: the transactions
// after want were purged, or the server wrote want's transactions in an
// order that interleaves them with others (several MariaDB domains
// applied out of order, a MySQL replica that did not preserve commit
// order).
func GTIDPosition(ctx context.Context, db *sql.DB, flavor string, want gomysql.GTIDSet) (event.Position, error) {
	logs, err := dbconn.BinaryLogs(ctx, db) // status.go
	if err != nil {
		return event.Position{}, err
	}
	from := -1
	var state gomysql.GTIDSet
	for i := len(logs) - 1; i >= 0 && from < 0; i-- {
		head, err := fileHeaderGTIDs(ctx, db, flavor, logs[i].Name)
		if err != nil {
			return event.Position{}, err
		}
		if want.Contain(head) {
			from, state = i, head
		}
	}
	if from < 0 {
		return event.Position{}, fmt.Errorf("its oldest binlog %s starts after GTID %s: the transactions that follow were purged", logs[0].Name, want)
	}
	var at event.Position
	for _, f := range logs[from:] {
		at = event.Position{File: f.Name, Pos: 4}
		stop := false
		err := scanBinlog(ctx, db, f.Name, func(e binlogEvent) (bool, error) {
			at.Pos = e.end
			m := gtidInfo.FindStringSubmatch(e.info)
			if m == nil || !isGTIDEvent(e.typ) {
				return true, nil
			}
			g := m[1] + m[2]
			one, err := ParseGTIDs(flavor, g)
			if err != nil {
				return false, fmt.Errorf("binlog %s:%d: GTID %q: %w", f.Name, e.pos, g, err)
			}
			if !want.Contain(one) {
				at.Pos, stop = e.pos, true
				return false, nil
			}
			return true, state.Update(g)
		})
		if err != nil {
			return event.Position{}, err
		}
		if stop {
			break
		}
	}
	if !state.Contain(want) {
		return event.Position{}, fmt.Errorf("at %s, before the first transaction not in GTID %s, its binlog holds only %s: "+
			"it wrote these transactions in another order than the server they were read from (out-of-order domains or commit order)", at, want, state)
	}
	at.GTID = want.String()
	return at, nil
}

// isGTIDEvent reports whether an event type of SHOW BINLOG EVENTS opens a
// transaction with its GTID: Gtid (both flavors), Gtid_tagged_log_event
// (MySQL 8.4), not MariaDB's Gtid_list nor MySQL's Anonymous_Gtid.
func isGTIDEvent(typ string) bool {
	return strings.HasPrefix(typ, "Gtid") && typ != "Gtid_list"
}

// fileHeaderGTIDs returns the GTID set a binlog file starts with.
func fileHeaderGTIDs(ctx context.Context, db *sql.DB, flavor, file string) (gomysql.GTIDSet, error) {
	head := ""
	err := scanBinlog(ctx, db, file, func(e binlogEvent) (bool, error) {
		switch e.typ {
		case "Gtid_list", "Previous_gtids":
			head = strings.Trim(e.info, "[]")
			return false, nil
		case "Format_desc", "Binlog_checkpoint", "Start_encryption":
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return ParseGTIDs(flavor, head)
}

// scanBinlog calls fn for the events of file in order until fn returns
// false or an error, reading them a page at a time.
func scanBinlog(ctx context.Context, db *sql.DB, file string, fn func(binlogEvent) (bool, error)) error {
	const page = 2000
	from := uint64(4)
	for {
		rows, err := db.QueryContext(ctx, fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d LIMIT %d",
			strings.ReplaceAll(file, "'", "''"), from, page))
		if err != nil {
			return fmt.Errorf("SHOW BINLOG EVENTS IN %s: %w", file, err)
		}
		n, more, err := scanEventRows(rows, &from, fn)
		if err != nil || !more || n < page {
			return err
		}
	}
}

// scanEventRows feeds one page of SHOW BINLOG EVENTS to fn and moves from
// past it. more is false once fn asked to stop.
func scanEventRows(rows *sql.Rows, from *uint64, fn func(binlogEvent) (bool, error)) (n int, more bool, err error) {
	defer rows.Close()
	for rows.Next() {
		var name, typ, info sql.NullString
		var pos, sid, end sql.NullInt64
		if err := rows.Scan(&name, &pos, &typ, &sid, &end, &info); err != nil {
			return n, false, err
		}
		n++
		e := binlogEvent{pos: uint64(pos.Int64), end: uint64(end.Int64), typ: typ.String, info: info.String}
		*from = e.end
		if ok, err := fn(e); err != nil || !ok {
			return n, false, err
		}
	}
	return n, true, rows.Err()
}
