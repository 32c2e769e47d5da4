package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// Quarantine (on_table_error: quarantine, the default): a row the replica
// rejects for a reason confined to its table (a value its column does not
// take, a duplicate on a unique key the source lacks, a column or table
// the replica lacks) holds back that table on this sink, instead of
// stopping it: the row is rolled back to its savepoint (careful.go), and
// from there on the table's rows and snapshot ranges are passed over while
// every other table is applied in order. A transaction spanning it and
// healthy tables applies its healthy part. Under errors.tolerance: all a
// rejected value is dead-lettered instead, as before (deadletters.go); a
// missing table or column still quarantines.
//
// The set lives in <checkpoint_db>.sluice_quarantine, rewritten in the
// replica transaction that commits the offsets past the change that
// changed it, so a restart never applies a quarantined table's later rows
// over the ones it missed.
//
// Leaving: once the replica table is fixed, `sluice snapshot --table`
// copies the table again through the source's incremental snapshot. Its
// first chunk (a key range from the first key) starts the resync: the
// table's rows are applied again from there, which is exactly how a table
// being copied while streaming converges (snapshot_incr.go); its last chunk
// ends the quarantine. A row rejected during the copy quarantines it again.
//
// Under on_table_error: stop a rejected row stops the sink (deadletters.go)
// as before.

// kindRejected is the Kind of a table quarantined for a row the replica
// rejected.
const kindRejected = "rejected_row"

// quarantine is the sink's quarantined tables, by source table name. Its
// methods run on Run's goroutine; Status reads the copy in sinkStatus.
type quarantine struct {
	s      *Sink
	tables map[string]*connector.QuarantinedTable
	dirty  bool // changed since the last commit recorded it
}

func (q *quarantine) on() bool { return q.s.cfg.OnTableError == config.OnTableErrorQuarantine }

// takes reports whether err, a row's rejection, quarantines its table:
// under on_table_error: quarantine, for a table-confined error, unless
// errors.tolerance: all dead-letters such a row.
func (q *quarantine) takes(err error) bool {
	return q.on() && isTableError(err) && !(q.s.dead.tolerant() && isRowRejection(err))
}

// isTableError reports whether err is confined to the table of the row
// that caused it: a rejected value (isRowRejection) or a table or column
// the replica lacks.
func isTableError(err error) bool {
	var me *drv.MySQLError
	if errors.As(err, &me) && (me.Number == 1146 || me.Number == 1054) {
		return true
	}
	return isRowRejection(err)
}

// held reports whether table's changes are held back.
func (q *quarantine) held(table string) bool {
	t := q.tables[table]
	return t != nil && !t.Resyncing
}

// holds is held, counting one more change held back.
func (q *quarantine) holds(table string) bool {
	if !q.held(table) {
		return false
	}
	q.tables[table].Held++
	return true
}

// add quarantines table for the rejection err of the row read at o.
func (q *quarantine) add(table string, o origin, err error) {
	s := q.s
	where := fmt.Sprintf("%s/%d offset %d key %s", o.tp.Topic, o.tp.Partition, o.offset, printableKey(o.key))
	fix := fmt.Sprintf("make the replica's %s take the row (compare SHOW CREATE TABLE on the source and the replica), "+
		"then copy it again: sluice snapshot --config FILE --connector %s --table %s", s.routes.target(table), s.cfg.Source, table)
	q.tables[table] = &connector.QuarantinedTable{Table: table, Kind: kindRejected, Reason: err.Error(), Fix: fix, Where: where, Since: clock.Now().UTC()}
	q.dirty = true
	s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], table).Set(1)
	s.log.Error("table quarantined: the replica rejected a row; the table's changes are held back and every other table keeps flowing",
		"table", table, "where", where, "err", err, "fix", fix)
}

// filter passes over the changes of held tables in b, before it is
// applied, and moves tables through their resync: a snapshot range of a
// quarantined table starting at its first key starts it, its last range
// ends the quarantine.
func (q *quarantine) filter(b *batch) {
	if len(q.tables) == 0 {
		return
	}
	for i := range b.txs {
		t := &b.txs[i]
		if r := t.marker.Range; r != nil && q.tables[r.Table] != nil {
			q.resyncStep(r)
		}
		if t.streamed {
			continue // applier.tx filters as it reads
		}
		kept := t.changes[:0]
		for _, ch := range t.changes {
			if !q.holds(ch.Table()) {
				kept = append(kept, ch)
			}
		}
		clear(t.changes[len(kept):])
		t.changes = kept
	}
}

// resyncStep handles a snapshot range of a quarantined table.
func (q *quarantine) resyncStep(r *event.KeyRange) {
	s, t := q.s, q.tables[r.Table]
	if !t.Resyncing && len(r.After) == 0 {
		t.Resyncing, q.dirty = true, true
		s.log.Warn("quarantined table: a copy from its first key arrived; applying its changes again", "table", r.Table, "held", t.Held)
	}
	if t.Resyncing && r.Through == nil {
		delete(q.tables, r.Table)
		q.dirty = true
		s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], r.Table).Set(0)
		s.log.Info("table left quarantine: copied again in full", "table", r.Table)
	}
}

// table is the replica table recording the quarantine.
func (q *quarantine) table() string {
	return dbconn.QuoteTable(q.s.cfg.CheckpointDB, "sluice_quarantine")
}

// load creates the quarantine table and reads this sink's quarantined
// tables from it.
func (q *quarantine) load(ctx context.Context) error {
	s := q.s
	q.tables, q.dirty = map[string]*connector.QuarantinedTable{}, false
	_, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+q.table()+` (
		sink VARCHAR(191) NOT NULL,
		tbl VARCHAR(200) NOT NULL,
		kind VARCHAR(64) NOT NULL,
		reason TEXT NOT NULL,
		fix TEXT NOT NULL,
		at_where VARCHAR(1024) NOT NULL,
		since TIMESTAMP(6) NOT NULL,
		resyncing BOOL NOT NULL,
		PRIMARY KEY (sink, tbl)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`)
	if err != nil {
		return fmt.Errorf("sink %s: create %s: %w", s.cfg.Name, q.table(), err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT tbl, kind, reason, fix, at_where, since, resyncing FROM "+q.table()+" WHERE sink = ?", s.key)
	if err != nil {
		return fmt.Errorf("sink %s: read %s: %w", s.cfg.Name, q.table(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var t connector.QuarantinedTable
		var since string // the sink's sessions read temporal values as text (no parseTime), in UTC
		if err := rows.Scan(&t.Table, &t.Kind, &t.Reason, &t.Fix, &t.Where, &since, &t.Resyncing); err != nil {
			return fmt.Errorf("sink %s: read %s: %w", s.cfg.Name, q.table(), err)
		}
		if t.Since, err = time.Parse("2006-01-02 15:04:05.999999", since); err != nil {
			return fmt.Errorf("sink %s: read %s: since %q: %w", s.cfg.Name, q.table(), since, err)
		}
		q.tables[t.Table] = &t
		s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], t.Table).Set(1)
		s.log.Warn("table still quarantined (recorded on the replica): its changes are held back", "table", t.Table,
			"since", t.Since, "reason", t.Reason, "fix", t.Fix, "resyncing", t.Resyncing)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sink %s: read %s: %w", s.cfg.Name, q.table(), err)
	}
	q.show()
	return nil
}

// save rewrites the sink's quarantined tables in tx, the replica
// transaction that commits the offsets past the changes that changed them.
func (q *quarantine) save(ctx context.Context, tx *sql.Tx) error {
	s := q.s
	if !q.dirty {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+q.table()+" WHERE sink = ?", s.key); err != nil {
		return fmt.Errorf("sink %s: record quarantine: %w", s.cfg.Name, err)
	}
	for _, t := range q.list() {
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+q.table()+" (sink, tbl, kind, reason, fix, at_where, since, resyncing) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			s.key, t.Table, t.Kind, t.Reason, t.Fix, t.Where, t.Since, t.Resyncing); err != nil {
			return fmt.Errorf("sink %s: record quarantine of %s: %w", s.cfg.Name, t.Table, err)
		}
	}
	return nil
}

// committed notes that the last save is on the replica.
func (q *quarantine) committed() {
	q.dirty = false
	q.show()
}

func (q *quarantine) list() []connector.QuarantinedTable {
	var out []connector.QuarantinedTable
	for _, name := range slices.Sorted(maps.Keys(q.tables)) {
		out = append(out, *q.tables[name])
	}
	return out
}

// show updates what Status reports.
func (q *quarantine) show() {
	list := q.list()
	q.s.stat.mu.Lock()
	q.s.stat.quarantined = list
	q.s.stat.mu.Unlock()
}
