package sink

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// stmtLimit returns the most value bytes of one multi-row statement:
// maxStatementBytes, or less on a replica with a small max_allowed_packet.
func (a *applier) stmtLimit(ctx context.Context) (int, error) {
	s := a.s
	a.merge.mu.Lock()
	defer a.merge.mu.Unlock()
	if a.merge.stmtBytes == 0 {
		var packet int
		if err := s.db.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&packet); err != nil {
			return 0, fmt.Errorf("sink %s: read max_allowed_packet: %w", s.cfg.Name, err)
		}
		a.merge.stmtBytes = max(min(maxStatementBytes, packet/4), 1)
		a.merge.packet = packet
	}
	return a.merge.stmtBytes, nil
}

// mergeCache is what the applier reads from the replica to merge rows
// and size statements. The workers' writers use it at once.
type mergeCache struct {
	mu        sync.Mutex             // held by uniqueKeys and stmtLimit
	uniq      map[string]*uniqueInfo // replica "db.table" -> its unique keys
	uniqAt    time.Time              // when uniq was emptied
	stmtBytes int                    // stmtLimit
	packet    int                    // the replica's max_allowed_packet, once stmtLimit read it
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
func (a *applier) uniqueKeys(ctx context.Context, def *event.TableDef) (*uniqueInfo, error) {
	s := a.s
	a.merge.mu.Lock() // workers merge at once (workers.go)
	defer a.merge.mu.Unlock()
	if a.merge.uniq == nil || time.Since(a.merge.uniqAt) > uniqueCacheTTL {
		a.merge.uniq, a.merge.uniqAt = map[string]*uniqueInfo{}, time.Now()
	}
	db, table := s.routes.table(def.DB, def.Table)
	name := db + "." + table
	if u := a.merge.uniq[name]; u != nil {
		return u, nil
	}
	ctx, cancel := dbconn.MetaCtx(ctx)
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
	a.merge.uniq[name] = u
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

// tooLarge returns an error naming max_allowed_packet when statement q with
// args cannot fit the replica's packet whatever the encoding (its raw bytes
// alone exceed it): the server would drop the connection, and every retry
// would fail the same way. nil when it may fit or the limit is not known.
func (a *applier) tooLarge(q string, args []any) error {
	a.merge.mu.Lock()
	packet := a.merge.packet
	a.merge.mu.Unlock()
	if packet <= 0 {
		return nil
	}
	n := len(q)
	for _, v := range args {
		switch v := v.(type) {
		case []byte:
			n += len(v)
		case string:
			n += len(v)
		}
	}
	if n <= packet {
		return nil
	}
	return &connector.Fatal{Err: fmt.Errorf("sink %s: a statement of at least %d bytes (a row this large) does not fit the replica's "+
		"max_allowed_packet of %d bytes, so the replica would drop the connection at every try: raise it on the replica to at least "+
		"the source's (SET GLOBAL max_allowed_packet = %d, and max_allowed_packet in my.cnf [mysqld]), then start sluice again",
		a.s.cfg.Name, n, packet, nextPacket(n))}
}

// nextPacket is a max_allowed_packet that holds n bytes with room for the
// statement's escaping: twice n, in whole MiB, at most 1 GiB.
func nextPacket(n int) int {
	mib := (2*n + (1<<20 - 1)) >> 20
	return min(mib<<20, 1<<30)
}
