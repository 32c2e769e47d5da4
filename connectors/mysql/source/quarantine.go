package source

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// Quarantine (on_table_error: quarantine, the default): a problem confined
// to one selected table holds back that table's row changes while every
// other table keeps flowing in binlog order.
//
// Held back means not published: the reader drops the table's rows before
// decoding them, so no sink has to know about quarantine, and a table
// whose rows cannot be trusted (a cascade the binlog does not carry) never
// reaches a topic. A transaction spanning a quarantined and healthy tables
// publishes its healthy part; its marker counts only what was published.
// Positions move as before, only at transaction boundaries. DDL of the
// table still goes to the schema history and the sinks, so the replica
// keeps the table's shape.
//
// The set is saved with every checkpoint (checkpoint.SourceState
// .Quarantined): a restart keeps holding the tables, and since a quarantined
// table is not covered, it is never mistaken for one whose rows all reached
// Kafka. Every quarantineCheck the reader, between transactions, asks
// whether each cause is gone (a cascading foreign key made RESTRICT or
// dropped; a column type made supported; for a DDL, the definition read
// back from the server: quarantine_ddl.go); then the table is resynced: its rows flow again from that
// point and an incremental snapshot (snapshot_incr.go) copies it, and
// once that copy is acknowledged the table leaves quarantine. A snapshot
// request for the table (sluice snapshot --table) forces the same.
//
// Quarantine needs incremental snapshots (MariaDB); on MySQL, and under
// on_table_error: stop, the problem stops the source as before.

// quarantineCheck is how often the causes of quarantined tables are
// checked again.
const quarantineCheck = 2 * time.Second

// Kinds of quarantine on the source (connector.QuarantinedTable.Kind).
const (
	kindCascadingFK = "cascading_foreign_key"
	kindTopic       = "topic_refused"
	kindName        = "ambiguous_name"
)

// quarantineSet is the source's quarantined tables. Only Run's goroutine
// uses it; Status reads the copy in sourceStatus.
type quarantineSet struct {
	tables    map[string]*connector.QuarantinedTable // "db.table" ->
	lastCheck time.Time
	read      map[string]*serverDef // tables quarantined for a DDL, as read from the server (quarantine_ddl.go)
	names     map[string][2]string  // tables of kindName, keyed `db`.`table` ("db.table" is another table's)
}

// held reports whether the rows of table are held back: quarantined and
// not yet resyncing.
func (s *Source) held(table string) bool {
	q := s.quar.tables[table]
	return q != nil && !q.Resyncing
}

// holds is held, counting n more row changes held back.
func (s *Source) holds(table string, n int) bool {
	if !s.held(table) {
		return false
	}
	s.quar.tables[table].Held += int64(n)
	return true
}

// quarantine holds table back for the reason given, with the fix to name.
// stop is the error that stops the source instead, returned under
// on_table_error: stop and where the table could not be copied again
// (MySQL: no incremental snapshots).
func (s *Source) quarantine(table, kind, reason, fix, where string, stop error) error {
	if !s.canQuarantine() {
		return stop
	}
	if q := s.quar.tables[table]; q != nil && !q.Resyncing {
		return nil
	}
	if s.quar.tables == nil {
		s.quar.tables = map[string]*connector.QuarantinedTable{}
	}
	s.quar.tables[table] = &connector.QuarantinedTable{Table: table, Kind: kind, Reason: reason, Fix: fix, Where: where, Since: clock.Now().UTC()}
	delete(s.snap.covered, table)
	s.snap.inc.drop(table)
	s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], table).Set(1)
	s.log.Error("table quarantined: its changes are held back and every other table keeps flowing; "+
		"it is copied again and leaves quarantine by itself once the cause is gone (sluice snapshot --table forces it)",
		"table", table, "kind", kind, "position", where, "reason", reason, "fix", fix)
	s.showQuarantine()
	return nil
}

// canQuarantine reports whether problems of one table quarantine it:
// on_table_error: quarantine, and incremental snapshots to copy it again.
func (s *Source) canQuarantine() bool {
	return s.snap.inc != nil && s.cfg.OnTableError != config.OnTableErrorStop
}

// resync lets table's rows flow again and queues its incremental
// snapshot; it leaves quarantine once that copy is acknowledged
// (quarantineDone).
func (s *Source) resync(table, why string) {
	q := s.quar.tables[table]
	q.Resyncing = true
	s.snap.inc.add(table, "quarantine")
	s.log.Warn("quarantined table: copying it again, its changes flow again from here", "table", table, "why", why, "held_rows", q.Held)
	s.showQuarantine()
}

// quarantineDone ends the quarantine of a table whose copy Kafka
// acknowledged in full.
func (s *Source) quarantineDone(table string) {
	q := s.quar.tables[table]
	if q == nil || !q.Resyncing {
		return
	}
	s.unquarantine(table)
	s.log.Info("table left quarantine: copied again in full, its changes flow", "table", table, "kind", q.Kind)
}

func (s *Source) unquarantine(table string) {
	delete(s.quar.tables, table)
	delete(s.quar.read, table)
	s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], table).Set(0)
	s.showQuarantine()
}

// restoreQuarantine takes the quarantined tables from a loaded checkpoint.
func (s *Source) restoreQuarantine(list []connector.QuarantinedTable) {
	s.quar.tables = map[string]*connector.QuarantinedTable{}
	for _, q := range list {
		s.quar.tables[q.Table] = &q
		s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], q.Table).Set(1)
		s.log.Warn("table still quarantined (recorded in the checkpoint): its changes are held back", "table", q.Table,
			"kind", q.Kind, "since", q.Since, "reason", q.Reason, "fix", q.Fix, "resyncing", q.Resyncing)
	}
	s.showQuarantine()
}

// quarantineList returns the quarantined tables by name, as saved.
func (s *Source) quarantineList() []connector.QuarantinedTable {
	var out []connector.QuarantinedTable
	for _, name := range slices.Sorted(maps.Keys(s.quar.tables)) {
		out = append(out, *s.quar.tables[name])
	}
	return out
}

// showQuarantine updates what Status reports.
func (s *Source) showQuarantine() {
	list := s.quarantineList()
	s.stat.mu.Lock()
	s.stat.quarantined = list
	s.stat.mu.Unlock()
}

// checkQuarantine runs between transactions: every quarantineCheck it
// resyncs the quarantined tables whose cause is gone, and ends the
// quarantine of tables that were dropped.
func (st *streamer) checkQuarantine(ctx context.Context) error {
	s := st.s
	if len(s.quar.tables) == 0 || time.Since(s.quar.lastCheck) < quarantineCheck {
		return nil
	}
	s.quar.lastCheck = time.Now()
	s.showQuarantine() // held counts
	// A copy acknowledged in full ends a quarantine (ackedProgress); the
	// position need not move for that to be recorded.
	if s.ackedProgress() {
		if err := s.saveState(ctx); err != nil {
			return err
		}
	}
	var fks map[string][]string
	for _, name := range slices.Sorted(maps.Keys(s.quar.tables)) {
		q := s.quar.tables[name]
		switch {
		case q.Kind == kindDDL && !q.Resyncing: // quarantine_ddl.go: its definition is read from the server
			if err := st.readBack(ctx, name); err != nil {
				return err
			}
		case q.Kind == kindName:
			t, known := s.quar.names[name]
			if ok, err := catalog.TableExists(ctx, s.db, t[0], t[1]); !known || err == nil && !ok {
				delete(s.quar.names, name)
				s.unquarantine(name)
				s.log.Info("table with an ambiguous name dropped or renamed: quarantine ended", "table", name)
			}
		case s.tables[name] == nil:
			s.unquarantine(name)
			s.log.Info("quarantined table dropped or no longer selected: quarantine ended", "table", name)
		case q.Resyncing:
		case q.Kind == kindCascadingFK:
			if fks == nil {
				var err error
				if fks, _, err = catalog.CascadingTables(ctx, s.db, s.filter); err != nil {
					s.log.Warn("cannot check the foreign keys of quarantined tables; trying again", "err", err)
					return nil
				}
			}
			if len(fks[name]) == 0 {
				s.resync(name, "its foreign keys no longer cascade")
			}
		case q.Kind == kindUnsupported:
			if unsupportedColumn(s.tables[name]) == nil {
				s.resync(name, "a DDL made its columns supported")
			}
		case q.Kind == kindTopic:
			if db, t, _ := strings.Cut(name, "."); s.pub.Prepare(ctx, db, t) == nil {
				s.resync(name, "the broker took its topic")
			}
		}
	}
	return nil
}

// cascading quarantines the tables a DDL (at where) gave foreign keys with
// cascading actions, as the server has them now; the cascades' row changes
// will not be in the binlog. It reports false when the server no longer has
// such foreign keys (made RESTRICT since).
func (s *Source) cascading(ctx context.Context, where, q string) (bool, error) {
	tables, fix, err := catalog.CascadingTables(ctx, s.db, s.filter)
	if err != nil || len(tables) == 0 {
		return false, err
	}
	var all []string
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		all = append(all, tables[name]...)
	}
	stop := fmt.Errorf("source %s: binlog %s: DDL %q: %w", s.cfg.Name, where, q, catalog.CascadingError(all))
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		reason := "foreign keys whose actions the binlog does not carry: " + strings.Join(tables[name], "; ")
		if err := s.quarantine(name, kindCascadingFK, reason, fix, where, stop); err != nil {
			return true, err
		}
	}
	return true, nil
}

// quarantineAtStart quarantines the selected tables that have cascading
// foreign keys, and those whose names it refuses, when the source starts
// (under on_table_error: stop and on MySQL, Run refused them before
// anything was read).
func (s *Source) quarantineAtStart(ctx context.Context) error {
	if _, err := s.cascading(ctx, "start", "(at start)"); err != nil {
		return err
	}
	tables, err := catalog.RefusedTables(ctx, s.db, s.filter)
	if err != nil {
		return err
	}
	return s.refused(tables, "start")
}

// unsupported quarantines the table of def when a column's type or
// character set cannot be converted (pkg/value), holding back the n row
// changes at where; it reports whether it did. Under on_table_error: stop
// (and on MySQL) it leaves the table alone: decoding its first such value
// stops the source, as it names the column.
func (s *Source) unsupported(def *event.TableDef, where string, n int) bool {
	if !s.canQuarantine() {
		return false
	}
	err := unsupportedColumn(def)
	if err == nil {
		return false
	}
	_ = s.quarantine(def.Name(), kindUnsupported, err.Error(), fixUnsupported, where, nil)
	return s.holds(def.Name(), n)
}

// fixUnsupported is the fix a quarantine for an unsupported column names.
const fixUnsupported = "change the column's type (or character set) to one sluice supports, e.g. ALTER TABLE ... MODIFY the column to VARCHAR; " +
	"the table then leaves quarantine by itself; or leave the table out of tables:"

// topicRefused quarantines the table of def when the broker refuses its
// topic (publish.TopicError), holding back the n row changes at where; it
// reports whether it did. Other errors (the broker unreachable) return.
func (s *Source) topicRefused(ctx context.Context, def *event.TableDef, where string, n int) (bool, error) {
	err := s.pub.Prepare(ctx, def.DB, def.Table)
	var te *publish.TopicError
	if err == nil || !errors.As(err, &te) || !s.canQuarantine() {
		return false, err
	}
	fix := "rename the table (RENAME TABLE) to a name whose topic the broker takes, or leave it out of tables:"
	_ = s.quarantine(def.Name(), kindTopic, te.Error(), fix, where, nil)
	return s.holds(def.Name(), n), nil
}

// renamed moves the quarantine of tables a DDL renamed to their new names
// (where their causes are checked again): their replicas still lack the
// rows held back.
func (s *Source) renamed(pairs [][2]string) {
	for _, r := range pairs {
		q := s.quar.tables[r[0]]
		if q == nil {
			continue
		}
		s.unquarantine(r[0])
		if s.snap.inc != nil {
			s.snap.inc.drop(r[0])
		}
		q.Table, q.Resyncing = r[1], false
		s.quar.tables[r[1]] = q
		delete(s.snap.covered, r[1])
		s.env.Metrics.TableQuarantined.WithLabelValues(s.labels[0], s.labels[1], r[1]).Set(1)
		s.log.Warn("quarantined table renamed: its quarantine follows it", "from", r[0], "to", r[1], "kind", q.Kind)
		s.showQuarantine()
	}
}

// dropped ends the quarantine of tables a DDL dropped: neither the source
// nor the replicas have them any more (a CREATE OR REPLACE makes a new,
// empty one, whose causes the DDL checks again).
func (s *Source) dropped(names []string) {
	for _, name := range names {
		if q := s.quar.tables[name]; q != nil {
			s.unquarantine(name)
			if s.snap.inc != nil {
				s.snap.inc.drop(name)
			}
			s.log.Info("quarantined table dropped: quarantine ended", "table", name, "kind", q.Kind)
		}
	}
}

// unsupportedColumn returns why the first column of def that pkg/value
// cannot convert is refused; nil when there is none (or no def).
func unsupportedColumn(def *event.TableDef) error {
	if def == nil {
		return nil
	}
	for i := range def.Columns {
		if err := value.Supported(&def.Columns[i]); err != nil {
			return fmt.Errorf("table %s: %w", def.Name(), err)
		}
	}
	return nil
}

// drop takes table off the incremental snapshots, with the chunks of it
// read and not yet published.
func (inc *incSnap) drop(table string) {
	kept := inc.pending[:0]
	for _, p := range inc.pending {
		if p.t.name != table {
			kept = append(kept, p)
		}
	}
	inc.pending = kept
	for _, t := range inc.queue {
		if t.name == table {
			inc.finish(t, false)
			return
		}
	}
}

// rowCount returns the row changes of a rows event (an update's before
// and after images are one change).
func rowCount(kind rowsKind, e *replication.RowsEvent) int {
	if kind == kindUpdate {
		return len(e.Rows) / 2
	}
	return len(e.Rows)
}
