package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// Merging rows across source transactions. A batch (one replica
// transaction) holds many source transactions when the sink is behind.
// Their rows are grouped by table, keeping commit order within a table:
// with foreign-key checks off (withSinkParams) tables do not depend on
// each other, so only the order of one table's rows matters. Each table's
// rows are then applied in one of two ways:
//
//   - compacted: only the last change of each key counts. Keys whose last
//     change is a delete go first, in batched DELETEs (which only free
//     values); then the last image of every other key, in multi-row
//     INSERT ... ON DUPLICATE KEY UPDATE statements. A key deleted and
//     inserted again, or updated many times, is written once with its final
//     row; a primary-key change arrives as a delete and a create (rows.go)
//     and is two keys. The replica ends with exactly the rows of the
//     source, as the source's constraints held at the batch's end.
//   - ordered: the rows in commit order, consecutive upserts (and
//     consecutive deletes) of the table merged into one statement; a
//     multi-row statement applies its rows in order, so this is the source's
//     statement order exactly.
//
// Compacting reorders writes within the table, which only matters for a
// unique key other than the row's key: a row that moves a unique value
// to another row must free it before the other takes it. The sink reads
// the replica's unique indexes (information_schema) and compacts a table
// only when no unique value in the batch is held by two different keys
// (in any before or after image). When those indexes hold columns whose
// values equal without being byte-equal (text under a collation, floats,
// prefixes), it cannot tell, and the table is always applied ordered; so
// is a table with triggers on the replica, which then fire for every row
// as the source wrote them.
// A TRUNCATE row splits its table's rows. The poison path (applier.careful)
// and every transaction that truncates or re-syncs a key range apply
// ordered, one source transaction at a time.

// Statement bounds. A multi-row statement holds at most maxRowsPerStatement
// rows and about maxStatementBytes of values (well under the server's
// max_allowed_packet, which stmtLimit also respects); one larger row is a
// statement of its own.
const (
	maxRowsPerStatement = 512
	maxStatementBytes   = 4 << 20
	maxPlaceholders     = 65535 // server-side prepared statements, when interpolateParams is off
)

// merger collects the rows of consecutive source transactions per table,
// to apply them with flush.
type merger struct {
	w      *writer
	order  []string // tables in order of their first row
	tables map[string]*tableRows
}

// tableRows is one table's rows in a merger, in commit order.
type tableRows struct {
	def     *event.TableDef
	changes []*event.Change
}

func newMerger(w *writer) *merger { return &merger{w: w, tables: map[string]*tableRows{}} }

// add queues changes, in commit order, after the ones already added.
func (m *merger) add(ctx context.Context, changes []*event.Change) error {
	for _, ch := range changes {
		name := ch.Table()
		def := m.w.hist.at(name, ch.Transaction.Seq)
		if def == nil {
			return fmt.Errorf("no definition of %s at seq %s in the schema history", name, ch.Transaction.Seq)
		}
		t := m.tables[name]
		if t != nil && t.def != def { // the definition changed: what came before goes first
			if err := m.flush(ctx); err != nil {
				return err
			}
			t = nil
		}
		if t == nil {
			t = &tableRows{def: def}
			m.tables[name] = t
			m.order = append(m.order, name)
		}
		t.changes = append(t.changes, ch)
		m.w.counts[[2]string{name, string(ch.Op)}]++
	}
	return nil
}

// flush applies the queued rows and empties the merger.
func (m *merger) flush(ctx context.Context) error {
	for _, name := range m.order {
		t := m.tables[name]
		if err := m.w.table(ctx, t.def, t.changes); err != nil {
			return err
		}
	}
	m.order = m.order[:0]
	clear(m.tables)
	return nil
}

// table applies one table's rows, split at TRUNCATE rows.
func (w *writer) table(ctx context.Context, def *event.TableDef, changes []*event.Change) error {
	if len(def.PrimaryKey) == 0 {
		return w.keyless(ctx, def, changes) // keyless.go: row by row, never merged
	}
	for len(changes) > 0 {
		i := 0
		for i < len(changes) && changes[i].Op != event.OpTruncate {
			i++
		}
		if i > 0 {
			keys, ok, err := w.compactable(ctx, def, changes[:i])
			if err != nil {
				return err
			}
			if ok {
				err = w.compacted(ctx, def, changes[:i], keys)
			} else {
				err = w.ordered(ctx, changes[:i])
			}
			if err != nil {
				return err
			}
		}
		if i == len(changes) {
			return nil
		}
		if err := w.exec(ctx, "DELETE FROM "+w.routes.target(def.Name()), nil, func(err error) error {
			return fmt.Errorf("truncate %s: %w", def.Name(), err)
		}); err != nil {
			return err
		}
		changes = changes[i+1:]
	}
	return nil
}

// compacted applies the last change of each key: deletes, then upserts.
func (w *writer) compacted(ctx context.Context, def *event.TableDef, changes []*event.Change, keys []string) error {
	last := make(map[string]int, len(changes))
	for i, k := range keys {
		last[k] = i
	}
	var dels, ups []*event.Change
	for i, ch := range changes {
		if last[keys[i]] != i {
			continue
		}
		if ch.Op == event.OpDelete {
			dels = append(dels, ch)
		} else {
			ups = append(ups, ch)
		}
	}
	if err := w.delete(ctx, def, dels); err != nil {
		return err
	}
	return w.upsert(ctx, def, ups)
}

// ordered applies changes, of any tables, in their order, merging runs
// of upserts (or deletes) into one table into multi-row statements.
func (w *writer) ordered(ctx context.Context, changes []*event.Change) error {
	for i := 0; i < len(changes); {
		ch := changes[i]
		def := w.hist.at(ch.Table(), ch.Transaction.Seq)
		if def == nil {
			return fmt.Errorf("no definition of %s at seq %s in the schema history", ch.Table(), ch.Transaction.Seq)
		}
		if ch.Op == event.OpTruncate {
			if err := w.exec(ctx, "DELETE FROM "+w.routes.target(def.Name()), nil, func(err error) error {
				return fmt.Errorf("truncate %s: %w", def.Name(), err)
			}); err != nil {
				return err
			}
			i++
			continue
		}
		if len(def.PrimaryKey) == 0 { // keyless.go: its run of rows, row by row
			j := i + 1
			for j < len(changes) && changes[j].Table() == ch.Table() && w.hist.at(ch.Table(), changes[j].Transaction.Seq) == def {
				j++
			}
			if err := w.keyless(ctx, def, changes[i:j]); err != nil {
				return err
			}
			i = j
			continue
		}
		del := ch.Op == event.OpDelete
		j := i + 1
		for j < len(changes) && changes[j].Op != event.OpTruncate && (changes[j].Op == event.OpDelete) == del &&
			changes[j].Table() == ch.Table() && w.hist.at(ch.Table(), changes[j].Transaction.Seq) == def {
			j++
		}
		var err error
		if del {
			err = w.delete(ctx, def, changes[i:j])
		} else {
			err = w.upsert(ctx, def, changes[i:j])
		}
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// compactable reports whether def's rows may be compacted, with the key
// of each change (its before image's for a delete, its after image's
// otherwise).
func (w *writer) compactable(ctx context.Context, def *event.TableDef, changes []*event.Change) ([]string, bool, error) {
	if len(def.PrimaryKey) == 0 || len(changes) < 2 {
		return nil, false, nil
	}
	u, err := w.a.uniqueKeys(ctx, def)
	if err != nil || !u.compact {
		return nil, false, err
	}
	keys := make([]string, len(changes))
	held := make([]map[string]string, len(u.keys)) // per unique key: value -> row key
	for i := range held {
		held[i] = map[string]string{}
	}
	for i, ch := range changes {
		img := ch.After
		if ch.Op == event.OpDelete {
			img = ch.Before
		}
		k, ok := imageKey(def.PrimaryKey, img)
		if !ok || k == "" {
			return nil, false, nil // a row without its key: applied ordered, where it is named
		}
		keys[i] = k
		if ch.Op == event.OpUpdate && ch.Before != nil {
			if bk, ok := imageKey(def.PrimaryKey, ch.Before); !ok || bk != k {
				return nil, false, nil
			}
		}
		for j, cols := range u.keys {
			for _, img := range []event.Row{ch.Before, ch.After} {
				if img == nil {
					continue
				}
				v, ok := imageKey(cols, img)
				if !ok {
					return nil, false, nil
				}
				if v == "" { // a NULL: unique keys allow any number
					continue
				}
				if prev, seen := held[j][v]; seen && prev != k {
					return nil, false, nil // a unique value moves between rows: keep statement order
				}
				held[j][v] = k
			}
		}
	}
	return keys, true, nil
}

// imageKey returns the identity of the values of cols in img, "" when one
// is NULL; false when img lacks a column.
func imageKey(cols []string, img event.Row) (string, bool) {
	var b strings.Builder
	for _, c := range cols {
		v, ok := img[c]
		if !ok {
			return "", false
		}
		t := rawText(v)
		if t == "null" {
			return "", true
		}
		b.WriteString(strconv.Itoa(len(t)))
		b.WriteByte(':')
		b.WriteString(t)
	}
	return b.String(), true
}

// rawText is a value's text in the envelope: decoded rows keep it as
// json.RawMessage, encoded by the source the same way for equal values.
func rawText(v any) string {
	switch x := v.(type) {
	case json.RawMessage:
		return string(x)
	case nil:
		return "null"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
