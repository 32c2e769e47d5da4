package sink

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// tableSQL is the statement text of the writes into one table definition.
type tableSQL struct {
	target string
	cols   []*event.Column // the columns written: all but generated ones
	insert string          // INSERT INTO t (a, b) VALUES
	update string          // ON DUPLICATE KEY UPDATE a = VALUES(a), ...
	row    string          // (?, ?)
	del    string          // DELETE FROM t WHERE
	delOne string          // ? with a one-column key, else (a = ? AND b = ?)
	delSep string          // between two delOne
	delEnd string
}

func (a *applier) sql(def *event.TableDef) *tableSQL {
	if t := a.sqls[def]; t != nil {
		return t
	}
	t := &tableSQL{target: a.s.target(def.Name())}
	var names, updates []string
	for i := range def.Columns {
		if c := &def.Columns[i]; c.Generated == "" {
			t.cols = append(t.cols, c)
			n := dbconn.QuoteIdent(c.Name)
			names, updates = append(names, n), append(updates, n+" = VALUES("+n+")")
		}
	}
	t.insert = "INSERT INTO " + t.target + " (" + strings.Join(names, ", ") + ") VALUES "
	t.update = " ON DUPLICATE KEY UPDATE " + strings.Join(updates, ", ")
	t.row = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	t.del = "DELETE FROM " + t.target + " WHERE "
	if len(def.PrimaryKey) == 1 {
		t.del += dbconn.QuoteIdent(def.PrimaryKey[0]) + " IN ("
		t.delOne, t.delSep, t.delEnd = "?", ", ", ")"
	} else {
		conds := make([]string, len(def.PrimaryKey))
		for i, k := range def.PrimaryKey {
			conds[i] = dbconn.QuoteIdent(k) + " = ?"
		}
		t.delOne, t.delSep = "("+strings.Join(conds, " AND ")+")", " OR "
	}
	a.sqls[def] = t
	return t
}

// upsert writes the after images of rows of def, in order, in multi-row
// statements.
func (a *applier) upsert(ctx context.Context, def *event.TableDef, rows []*event.Change) error {
	t := a.sql(def)
	return a.chunks(ctx, rows, len(t.cols), func(ch *event.Change, args []any) ([]any, int, error) {
		if len(ch.After) == 0 {
			return args, 0, rowError{fmt.Errorf("%s %s change without after image at %s:%d", def.Name(), ch.Op, ch.Source.File, ch.Source.Pos)}
		}
		size := 0
		for _, c := range t.cols {
			v, ok := ch.After[c.Name]
			if !ok {
				return args, 0, rowError{fmt.Errorf("%s: change at %s:%d has no column %s: the replica's definition differs from the stream's", def.Name(), ch.Source.File, ch.Source.Pos, c.Name)}
			}
			x, err := keyset.SQLArg(c, v)
			if err != nil {
				return args, 0, rowError{fmt.Errorf("%s column %s at %s:%d: %w", def.Name(), c.Name, ch.Source.File, ch.Source.Pos, err)}
			}
			args, size = append(args, x), size+argBytes(x)
		}
		return args, size, nil
	}, func(n int, args []any, first *event.Change) error {
		var q strings.Builder
		q.Grow(len(t.insert) + n*(len(t.row)+2) + len(t.update))
		q.WriteString(t.insert)
		for i := 0; i < n; i++ {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(t.row)
		}
		q.WriteString(t.update)
		return a.exec(ctx, q.String(), args, func(err error) error {
			return fmt.Errorf("upsert %d rows into %s (first at %s:%d): %w", n, def.Name(), first.Source.File, first.Source.Pos, err)
		})
	})
}

// delete deletes the rows of def that rows' before images name, in
// batched statements.
func (a *applier) delete(ctx context.Context, def *event.TableDef, rows []*event.Change) error {
	if len(rows) == 0 {
		return nil
	}
	if len(def.PrimaryKey) == 0 { // a keyed definition (unique_key_tables) not read yet: retried after a restart
		ch := rows[0]
		return fmt.Errorf("%s delete at %s:%d: the definition in the schema history has no key", def.Name(), ch.Source.File, ch.Source.Pos)
	}
	t := a.sql(def)
	return a.chunks(ctx, rows, len(def.PrimaryKey), func(ch *event.Change, args []any) ([]any, int, error) {
		size := 0
		for _, k := range def.PrimaryKey {
			v, ok := ch.Before[k]
			if !ok {
				return args, 0, rowError{fmt.Errorf("%s delete at %s:%d lacks key column %s", def.Name(), ch.Source.File, ch.Source.Pos, k)}
			}
			x, err := keyset.SQLArg(def.Column(k), v)
			if err != nil {
				return args, 0, rowError{fmt.Errorf("%s key %s at %s:%d: %w", def.Name(), k, ch.Source.File, ch.Source.Pos, err)}
			}
			args, size = append(args, x), size+argBytes(x)
		}
		return args, size, nil
	}, func(n int, args []any, first *event.Change) error {
		var q strings.Builder
		q.Grow(len(t.del) + n*(len(t.delOne)+len(t.delSep)) + len(t.delEnd))
		q.WriteString(t.del)
		for i := 0; i < n; i++ {
			if i > 0 {
				q.WriteString(t.delSep)
			}
			q.WriteString(t.delOne)
		}
		q.WriteString(t.delEnd)
		return a.exec(ctx, q.String(), args, func(err error) error {
			return fmt.Errorf("delete %d rows from %s (first at %s:%d): %w", n, def.Name(), first.Source.File, first.Source.Pos, err)
		})
	})
}

// chunks cuts rows into statements of at most maxRowsPerStatement rows,
// maxPlaceholders arguments and the statement byte limit (one larger row
// alone), collecting each row's arguments with rowArgs and running each
// statement with exec.
func (a *applier) chunks(ctx context.Context, rows []*event.Change, perRow int,
	rowArgs func(ch *event.Change, args []any) ([]any, int, error),
	exec func(n int, args []any, first *event.Change) error) error {
	if len(rows) == 0 {
		return nil
	}
	limit, err := a.s.stmtLimit(ctx)
	if err != nil {
		return err
	}
	maxRows := min(maxRowsPerStatement, maxPlaceholders/max(perRow, 1))
	args := make([]any, 0, perRow*min(len(rows), maxRows))
	start, size := 0, 0
	for i, ch := range rows {
		mark := len(args)
		var n int
		if args, n, err = rowArgs(ch, args); err != nil {
			return err
		}
		if i > start && (i-start == maxRows || size+n > limit) {
			if err := exec(i-start, args[:mark], rows[start]); err != nil {
				return err
			}
			// A new slice: the statement keeps its arguments (sink_pipe.go).
			args = append(make([]any, 0, cap(args)), args[mark:]...)
			start, size = i, 0
		}
		size += n
	}
	return exec(len(rows)-start, args, rows[start])
}

// argBytes estimates the bytes an argument takes in a statement (escaped).
func argBytes(x any) int {
	switch v := x.(type) {
	case string:
		return 2*len(v) + 3
	case []byte:
		return 2*len(v) + 10
	default:
		return 24
	}
}

// stmtLimit returns the most value bytes of one multi-row statement:
// maxStatementBytes, or less on a replica with a small max_allowed_packet.
func (s *Sink) stmtLimit(ctx context.Context) (int, error) {
	s.merge.mu.Lock()
	defer s.merge.mu.Unlock()
	if s.merge.stmtBytes == 0 {
		var packet int
		if err := s.db.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&packet); err != nil {
			return 0, fmt.Errorf("sink %s: read max_allowed_packet: %w", s.cfg.Name, err)
		}
		s.merge.stmtBytes = max(min(maxStatementBytes, packet/4), 1)
	}
	return s.merge.stmtBytes, nil
}

// mergeCache is what the sink reads from the replica to merge rows.
type mergeCache struct {
	mu        sync.Mutex             // held by uniqueKeys and stmtLimit
	uniq      map[string]*uniqueInfo // replica "db.table" -> its unique keys
	uniqAt    time.Time              // when uniq was emptied
	stmtBytes int                    // stmtLimit
}

// uniqueInfo is what the sink knows of a replica table: its unique keys
// besides the one on the definition's key, and whether its rows may be
// compacted at all.
type uniqueInfo struct {
	keys    [][]string // columns of each unique key
	compact bool       // no triggers, and the keys' values compare byte for byte: no text under a collation, no floats, no prefix
}

// uniqueCacheTTL is how long the sink trusts what it read of the replica's
// unique keys; replayed DDL empties the cache at once.
const uniqueCacheTTL = time.Minute

// exactTypes are the data types whose equal values have equal text in
// the envelope.
var exactTypes = map[string]bool{"tinyint": true, "smallint": true, "mediumint": true, "int": true, "bigint": true,
	"decimal": true, "date": true, "datetime": true, "timestamp": true, "time": true, "year": true,
	"binary": true, "varbinary": true, "bit": true}

// uniqueKeys reads (and caches) the replica's unique keys on def's table
// other than the one on def's key, and whether the table has triggers.
func (s *Sink) uniqueKeys(ctx context.Context, def *event.TableDef) (*uniqueInfo, error) {
	s.merge.mu.Lock() // workers merge at once (sink_workers.go)
	defer s.merge.mu.Unlock()
	if s.merge.uniq == nil || time.Since(s.merge.uniqAt) > uniqueCacheTTL {
		s.merge.uniq, s.merge.uniqAt = map[string]*uniqueInfo{}, time.Now()
	}
	db, table := s.route(def.DB, def.Table)
	name := db + "." + table
	if u := s.merge.uniq[name]; u != nil {
		return u, nil
	}
	ctx, cancel := dbconn.MetaCtx(ctx) // util.go
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT s.INDEX_NAME, s.COLUMN_NAME, s.SUB_PART IS NOT NULL, c.DATA_TYPE
		FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c
		  ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
		WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0
		ORDER BY s.INDEX_NAME, s.SEQ_IN_INDEX`, db, table)
	if err != nil {
		return nil, fmt.Errorf("sink %s: read the unique keys of %s on the replica: %w", s.cfg.Name, name, err)
	}
	defer rows.Close()
	u := &uniqueInfo{compact: true}
	idx, inexact := map[string][]string{}, map[string]bool{}
	var order []string
	for rows.Next() {
		var index, col, typ string
		var prefix bool
		if err := rows.Scan(&index, &col, &prefix, &typ); err != nil {
			return nil, err
		}
		if idx[index] == nil {
			order = append(order, index)
		}
		idx[index] = append(idx[index], col)
		if prefix || !exactTypes[strings.ToLower(typ)] {
			inexact[index] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, index := range order {
		if sameSet(idx[index], def.PrimaryKey) {
			continue
		}
		u.keys = append(u.keys, idx[index])
		u.compact = u.compact && !inexact[index]
	}
	// Triggers fire per row written: a replica table with triggers gets
	// every row, in order, as before merging.
	var triggers int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?",
		db, table).Scan(&triggers); err != nil {
		return nil, fmt.Errorf("sink %s: read the triggers of %s on the replica: %w", s.cfg.Name, name, err)
	}
	u.compact = u.compact && triggers == 0
	s.merge.uniq[name] = u
	return u, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
