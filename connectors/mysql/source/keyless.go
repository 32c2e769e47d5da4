package source

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// keylessDef returns def keyed for streaming. A definition without a
// primary key comes from a DDL statement the schema history applied (the
// server's definitions are keyed by loadTable): when unique_key_tables
// selects the table, the server's current unique NOT NULL key is used if
// the history's definition has those columns, NOT NULL, and the keyed
// definition is published so sinks key its rows the same way. Otherwise
// def is returned as it is: its rows travel keyless (catalog/keyless.go).
func (st *streamer) keylessDef(ctx context.Context, def *event.TableDef, where string) (*event.TableDef, error) {
	cols, err := catalog.KeylessKey(ctx, st.s.db, def.DB, def.Table)
	if err != nil {
		return nil, &connector.Fatal{Err: fmt.Errorf("binlog %s: %w", where, err)}
	}
	if len(cols) == 0 {
		return def, nil
	}
	for _, name := range cols {
		if c := def.Column(name); c == nil || c.Nullable || c.Generated != "" {
			return nil, &connector.Fatal{Err: fmt.Errorf("binlog %s: table %s has no primary key, and its unique key (%s) on the server "+
				"does not match its definition at this position: stopping rather than keying rows wrongly",
				where, def.Name(), strings.Join(cols, ", "))}
		}
	}
	keyed := *def
	keyed.PrimaryKey = cols
	seq, err := st.s.seqAt(st.file, uint64(st.txStart), 0)
	if err != nil {
		return nil, err
	}
	if err := st.s.publishSchema(ctx, &keyed, seq); err != nil {
		return nil, err
	}
	st.s.tables[keyed.Name()] = &keyed
	st.s.log.Info("table without primary key keyed by its unique key (unique_key_tables)", "table", keyed.Name(), "key", cols, "position", where)
	return &keyed, nil
}

// isSequence reports whether schema.table, whose rows tm maps, is a
// sequence (MariaDB's CREATE SEQUENCE): sluice does not replicate
// sequences, so their rows are left out, and said once per sequence,
// instead of stopping the reader on a "table" without a primary key that no
// ALTER can give one.
func (s *Source) isSequence(ctx context.Context, schema, table, where string, tm *replication.TableMapEvent) (bool, error) {
	name := schema + "." + table
	if seq, ok := s.sequences[name]; ok {
		return seq, nil
	}
	qctx, cancel := dbconn.MetaCtx(ctx)
	defer cancel()
	var typ string
	err := s.db.QueryRowContext(qctx, "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", schema, table).Scan(&typ)
	if errors.Is(err, sql.ErrNoRows) {
		if !sequenceLayout(tm) {
			return false, nil // gone: the caller's read of its definition says so
		}
		// Gone since (the reader is behind a DROP): a table the schema
		// history never saw created, with a sequence's row layout, is the
		// sequence a CREATE SEQUENCE made (found by the differential fuzzer:
		// the reader retried "table not found" forever).
		typ = "SEQUENCE"
		err = nil
	}
	if err != nil {
		return false, fmt.Errorf("binlog %s: look up %s: %w", where, name, err)
	}
	if s.sequences == nil {
		s.sequences = map[string]bool{}
	}
	s.sequences[name] = typ == "SEQUENCE"
	if typ == "SEQUENCE" {
		s.log.Warn("sequence left out: sluice does not replicate sequences, its changes (NEXTVAL, SETVAL) are not published; "+
			"create it on the replicas yourself if they need it", "sequence", name, "position", where)
	}
	return typ == "SEQUENCE", nil
}

// sequenceLayout reports whether tm maps a MariaDB sequence's row: eight
// columns, next_not_cached_value, minimum_value, maximum_value,
// start_value, increment and cache_size BIGINT, cycle_option TINYINT,
// cycle_count BIGINT, none nullable.
func sequenceLayout(tm *replication.TableMapEvent) bool {
	want := []byte{mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG,
		mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_LONGLONG}
	if tm == nil || !bytes.Equal(tm.ColumnType, want) {
		return false
	}
	for i := range want {
		if available, nullable := tm.Nullable(i); !available || nullable {
			return false
		}
	}
	return true
}
