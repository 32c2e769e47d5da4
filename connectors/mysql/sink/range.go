package sink

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/keyset"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// maxRangePlaceholders bounds the keys one range delete lists (the server
// allows 65535 placeholders per statement).
const maxRangePlaceholders = 60000

// deleteRange deletes, inside tx, the rows of target (the replica table of
// def) in the key range r that the incremental snapshot chunk changes does
// not hold: the source had no such row at the chunk's position. It runs
// before the chunk's upserts, so rows the chunk holds are updated in place,
// never deleted and inserted again. A chunk listing too many keys for one
// statement deletes the whole range; its upserts then insert the rows again
// in the same replica transaction.
func (a *applier) deleteRange(ctx context.Context, tx *sql.Tx, def *event.TableDef, target string, r *event.KeyRange, changes []*event.Change) error {
	s := a.s
	if def == nil {
		return fmt.Errorf("sink %s: snapshot range of %s: no definition", s.cfg.Name, r.Table)
	}
	pk := make([]string, len(def.PrimaryKey))
	for i, k := range def.PrimaryKey {
		pk[i] = dbconn.QuoteIdent(k)
	}
	var conds []string
	var args []any
	bound := func(key map[string]json.RawMessage) ([]any, error) {
		vals := make([]any, len(def.PrimaryKey))
		for i, k := range def.PrimaryKey {
			raw, ok := key[k]
			if !ok {
				return nil, fmt.Errorf("snapshot range of %s lacks key column %s", r.Table, k)
			}
			v, err := keyset.SQLArg(def.Column(k), raw)
			if err != nil {
				return nil, fmt.Errorf("snapshot range of %s, key %s: %w", r.Table, k, err)
			}
			vals[i] = v
		}
		return keyset.ExpandAfterKey(vals), nil
	}
	if r.After != nil {
		v, err := bound(r.After)
		if err != nil {
			return err
		}
		conds, args = append(conds, keyset.AfterKey(pk)), append(args, v...)
	}
	if r.Through != nil {
		v, err := bound(r.Through)
		if err != nil {
			return err
		}
		conds, args = append(conds, "NOT "+keyset.AfterKey(pk)), append(args, v...)
	}
	var keys []string
	var keyArgs []any
	for _, ch := range changes {
		if ch.Table() != r.Table || ch.After == nil {
			continue
		}
		for _, k := range def.PrimaryKey {
			v, err := keyset.SQLArg(def.Column(k), ch.After[k])
			if err != nil {
				return fmt.Errorf("snapshot chunk of %s, key %s: %w", r.Table, k, err)
			}
			keyArgs = append(keyArgs, v)
		}
		keys = append(keys, "("+strings.TrimSuffix(strings.Repeat("?, ", len(pk)), ", ")+")")
	}
	if len(keys) > 0 && len(keyArgs)+len(args) <= maxRangePlaceholders {
		conds = append(conds, "("+strings.Join(pk, ", ")+") NOT IN ("+strings.Join(keys, ", ")+")")
		args = append(args, keyArgs...)
	}
	q := "DELETE FROM " + target
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("sink %s: delete rows of %s the snapshot chunk does not hold: %w", s.cfg.Name, r.Table, err)
	}
	return nil
}
