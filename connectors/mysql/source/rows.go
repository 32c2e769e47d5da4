package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/pkg/clock"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
	"github.com/sluice-cdc/sluice/pkg/version"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type rowsKind int

const (
	kindOther rowsKind = iota
	kindWrite
	kindUpdate
	kindDelete
	kindPartial
)

func kindOf(t replication.EventType) rowsKind {
	switch t {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		return kindWrite
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1:
		return kindUpdate
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return kindDelete
	case replication.PARTIAL_UPDATE_ROWS_EVENT:
		return kindPartial
	}
	return kindOther
}

// rows turns one rows event of a selected table into changes.
func (st *streamer) rows(ctx context.Context, h *replication.EventHeader, e *replication.RowsEvent) error {
	schema, table := string(e.Table.Schema), string(e.Table.Table)
	if !st.s.filter.Match(schema, table) || catalog.IsShadow(schema+"."+table) {
		return nil // shadow tables of online schema changes copy rows the replicas get anyway
	}
	where := st.where(h)
	kind := kindOf(h.EventType)
	switch kind {
	case kindOther:
		return fmt.Errorf("binlog %s: rows event type %s for %s.%s is not supported: stopping", where, h.EventType, schema, table)
	case kindPartial:
		// MySQL 8's binlog_row_value_options=PARTIAL_JSON logs a JSON update
		// as a diff of the old document; the replicas need the new one.
		return &connector.Fatal{Err: fmt.Errorf("binlog %s: PARTIAL_UPDATE_ROWS_EVENT for %s.%s (binlog_row_value_options=PARTIAL_JSON logs JSON "+
			"updates as diffs, not values): stopping rather than writing a wrong document; set binlog_row_value_options='' on the source "+
			"so JSON updates are logged in full", where, schema, table)}
	}
	if !st.txOpen {
		st.begin(h)
	}
	if st.s.holds(schema+"."+table, rowCount(kind, e)) { // quarantine.go
		return nil
	}
	def := st.s.tables[schema+"."+table]
	if def == nil {
		if seq, err := st.s.isSequence(ctx, schema, table, where, e.Table); seq || err != nil {
			return err
		}
		// A selected table the schema history does not know (it follows
		// CREATE TABLE, so this is one it could not see): read it now.
		st.s.log.Warn("rows of a table missing from the schema history: its definition is read as of now", "table", schema+"."+table, "position", where)
		seq, err := st.s.seqAt(st.file, uint64(st.txStart), 0)
		if err != nil {
			return err
		}
		d, err := catalog.LoadTable(ctx, st.s.db, schema, table)
		if err != nil {
			return fmt.Errorf("binlog %s: %w", where, err)
		}
		if err := st.s.publishSchema(ctx, d, seq); err != nil {
			return err
		}
		st.s.tables[d.Name()] = d
		def = d
	}
	if st.s.unsupported(def, where, rowCount(kind, e)) { // quarantine.go
		return nil
	}
	if held, err := st.s.topicRefused(ctx, def, where, rowCount(kind, e)); held || err != nil {
		return err
	}
	if len(def.PrimaryKey) == 0 {
		d, err := st.keylessDef(ctx, def, where) // keyless.go: keyed when unique_key_tables selects it
		if err != nil {
			return err
		}
		def = d
	}
	idx, ok := catalog.BinlogColumns(def, int(e.ColumnCount))
	if ok {
		if err := checkTableMap(def, idx, e.Table); err != nil {
			return &connector.Fatal{Err: fmt.Errorf("binlog %s: %w", where, err)}
		}
	}
	if !ok {
		return fmt.Errorf("binlog %s: %s has %d columns in the binlog but %d in its definition: its schema changed "+
			"in a way sluice cannot map yet; stopping instead of decoding rows with the wrong columns", where, def.Name(), e.ColumnCount, len(def.Columns))
	}
	step := 1
	if kind == kindUpdate {
		step = 2
	}
	if err := skippedColumns(where, def, idx, e, step); err != nil { // stream_edge.go
		return err
	}
	if err := st.ensurePubTx(); err != nil {
		return err
	}
	src := event.Source{
		Version: version.Version, Connector: "mysql", Name: st.s.env.Config.Name, TsMs: int64(h.Timestamp) * 1000,
		Snapshot: "false", DB: schema, Table: table, ServerID: h.ServerID, File: st.file, Pos: st.eventStart(h),
	}
	if st.gtid != "" {
		g := st.gtid
		src.GTID = &g
	}
	if st.thread != 0 {
		t := st.thread
		src.Thread = &t
	}
	for i := 0; i+step-1 < len(e.Rows); i += step {
		src.Row = i / step
		var before, after event.Row
		var err error
		switch kind {
		case kindWrite:
			after, err = decodeRow(def, idx, e.Rows[i])
		case kindDelete:
			before, err = decodeRow(def, idx, e.Rows[i])
		case kindUpdate:
			if before, err = decodeRow(def, idx, e.Rows[i]); err == nil {
				after, err = decodeRow(def, idx, e.Rows[i+1])
			}
		}
		if err != nil {
			return fmt.Errorf("binlog %s: %s row %d: %w", where, def.Name(), src.Row, err)
		}
		if err := st.emit(ctx, def, src, before, after); err != nil {
			return err
		}
	}
	return nil
}

// emit queues one row change. An update that changes the primary key
// becomes a delete of the old key and an insert of the new one, so each
// key's history stays on its own partition. A table without a key keys
// every message {}: all its changes share one partition, in binlog order,
// and an update stays one update (its before image identifies the row).
func (st *streamer) emit(ctx context.Context, def *event.TableDef, src event.Source, before, after event.Row) error {
	now := clock.Now().UnixMilli()
	add := func(op event.Op, b, a event.Row, key event.Row, k []byte) error {
		ch := &event.Change{Before: b, After: a, Op: op, TsMs: now, Source: src}
		if st.xaHold(ch, key) { // xa.go: a prepared XA transaction waits for its outcome
			return nil
		}
		return st.s.pub.AddKeyed(ctx, ch, k)
	}
	keyOf := func(row event.Row) (event.Row, []byte, error) {
		key := make(event.Row, len(def.PrimaryKey))
		for _, c := range def.PrimaryKey {
			key[c] = row[c]
		}
		k, err := event.EncodeKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("encode key of %s: %w", def.Name(), err)
		}
		return key, k, nil
	}
	if before == nil || after == nil {
		op, row := event.OpCreate, after
		if after == nil {
			op, row = event.OpDelete, before
		}
		key, k, err := keyOf(row)
		if err != nil {
			return err
		}
		return add(op, before, after, key, k)
	}
	oldKey, oldK, err := keyOf(before)
	if err != nil {
		return err
	}
	newKey, newK, err := keyOf(after)
	if err != nil {
		return err
	}
	if bytes.Equal(oldK, newK) {
		return add(event.OpUpdate, before, after, newKey, newK)
	}
	if err := add(event.OpDelete, before, nil, oldKey, oldK); err != nil {
		return err
	}
	return add(event.OpCreate, nil, after, newKey, newK)
}

func decodeRow(def *event.TableDef, idx []int, raw []any) (event.Row, error) {
	if len(raw) != len(idx) {
		return nil, fmt.Errorf("%d values for %d columns", len(raw), len(idx))
	}
	row := make(event.Row, len(idx))
	for j, ci := range idx {
		c := &def.Columns[ci]
		v, err := value.FromBinlog(c, raw[j])
		if err != nil {
			return nil, err
		}
		row[c.Name] = v
	}
	return row, nil
}
