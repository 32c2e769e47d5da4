package sink

import (
	"context"
	"fmt"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// ensureTables creates the replica tables a batch touches when missing.
// It runs before the batch's replica transaction: DDL cannot share it,
// and creating a table twice is harmless.
func (r *ddlRunner) ensureTables(ctx context.Context, b *batch) error {
	for _, t := range b.txs {
		for _, name := range t.marker.Truncate {
			if err := r.ensureTable(ctx, name, t.marker.Seq); err != nil {
				return err
			}
		}
		if rg := t.marker.Range; rg != nil {
			if err := r.ensureTable(ctx, rg.Table, t.marker.Seq); err != nil {
				return err
			}
		}
		for _, dc := range t.marker.DataCollections {
			if err := r.ensureTable(ctx, dc.DataCollection, t.marker.Seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureTable creates the replica table of source table name, from its
// definition at seq, unless the sink knows it exists (create_tables off:
// the sink only records it).
func (r *ddlRunner) ensureTable(ctx context.Context, name string, seq event.Seq) error {
	s := r.s
	if r.created[name] {
		return nil
	}
	def, err := s.schema.table(ctx, name, seq)
	if err != nil {
		return err
	}
	if *s.cfg.CreateTables {
		stmts, err := createStmts(s.routes, def)
		if err != nil {
			return fmt.Errorf("sink %s: %w", s.cfg.Name, err)
		}
		for _, q := range stmts {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sink %s: create %s on the replica: %w", s.cfg.Name, name, err)
			}
		}
		s.log.Debug("replica table ensured from its definition", "table", name, "seq", string(seq))
	}
	r.created[name] = true
	return nil
}

// createStmts returns the statements that create the replica table of
// def when missing, with its database: def's CreateSQL under its routed
// name, not parsed (the source server printed it).
func createStmts(r routes, def *event.TableDef) ([]string, error) {
	create := def.CreateSQL
	if !catalog.CreateTableRe.MatchString(create) {
		return nil, fmt.Errorf("cannot create %s: unexpected definition %.60q", def.Name(), create)
	}
	db, table := r.table(def.DB, def.Table)
	create = catalog.CreateTableRe.ReplaceAllLiteralString(create, "CREATE TABLE IF NOT EXISTS "+dbconn.QuoteTable(db, table))
	return []string{createDatabase(db, def), create}, nil
}

// createDatabase returns the CREATE DATABASE IF NOT EXISTS of the replica
// database db that holds table def, with the source database's default
// character set and collation where the definition carries them.
func createDatabase(db string, def *event.TableDef) string {
	q := "CREATE DATABASE IF NOT EXISTS " + dbconn.QuoteIdent(db)
	if catalog.IsCharsetName(def.DBCharset) {
		q += " CHARACTER SET " + def.DBCharset
		if catalog.IsCharsetName(def.DBCollation) {
			q += " COLLATE " + def.DBCollation
		}
	}
	return q
}
