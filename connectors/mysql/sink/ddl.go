package sink

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	drv "github.com/go-sql-driver/mysql"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/faults"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// ddlRunner applies the source's DDL to the replica and keeps the replica
// tables the sink writes to: apply runs a batch that is one DDL marker,
// after everything before it was committed, and ensureTables creates the
// tables a batch of rows needs (tables.go). It records what it applied in
// <checkpoint_db>.sluice_ddl. Its methods run on Run's goroutine.
type ddlRunner struct {
	s       *Sink
	created map[string]bool // replica tables known to exist
	ready   bool            // <checkpoint_db>.sluice_ddl exists
}

// apply applies a batch that is one DDL marker, after everything before
// it was committed. DDL commits implicitly, so it cannot share a replica
// transaction with the checkpoint; re-applying it after a crash is made
// harmless by record-then-detect: before running the statements the sink
// records, in <checkpoint_db>.sluice_ddl, a fingerprint of the replica
// tables and databases they touch (SHOW CREATE TABLE without
// AUTO_INCREMENT, or absent). It then runs them, and commits its offsets
// past the marker. A restart that finds the record and a different
// fingerprint knows the statements ran and only commits the offsets; with
// the same fingerprint it runs them (again). The records stay, a log of
// the DDL applied (the sink needs no DELETE on checkpoint_db).
// Statements that change no definition (TRUNCATE) are harmless to repeat,
// since no row after the barrier was applied yet.
func (r *ddlRunner) apply(ctx context.Context, b *batch) error {
	s := r.s
	m := b.txs[0].marker
	d := m.DDL
	where := fmt.Sprintf("sink %s: DDL at seq %s (%s)", s.cfg.Name, m.Seq, m.Position)
	// The marker carries the definitions after it: rows that follow may
	// come before the sink reads them on the schema topic.
	for _, name := range d.Dropped {
		s.schema.add(name, schemaVersion{seq: m.Seq, ddl: true, ordinal: -1})
	}
	for i := range d.Tables {
		s.schema.add(d.Tables[i].Name(), schemaVersion{seq: m.Seq, def: &d.Tables[i], ddl: true, ordinal: -1})
	}
	plan, err := planDDL(s.routes, d)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := r.ensureLog(ctx); err != nil {
		return err
	}
	if err := r.ensureBefore(ctx, d, m.Seq); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	fp, err := r.fingerprint(ctx, plan)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	var prev string
	err = s.db.QueryRowContext(ctx, "SELECT fingerprint FROM "+r.table()+" WHERE sink = ? AND seq = ?", s.key, string(m.Seq)).Scan(&prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.db.ExecContext(ctx, "INSERT INTO "+r.table()+" (sink, seq, fingerprint, statement) VALUES (?, ?, ?, ?)",
			s.key, string(m.Seq), fp, strings.Join(d.Statements, ";\n")); err != nil {
			return fmt.Errorf("%s: record it before applying: %w", where, err)
		}
	case err != nil:
		return fmt.Errorf("%s: read %s: %w", where, r.table(), err)
	}
	if err := s.lease.check(ctx, s.db); err != nil { // DDL cannot share the commit's transaction: check just before
		return err
	}
	if prev != "" && prev != fp {
		s.log.Info("DDL already applied before a restart: not applying it again", "seq", string(m.Seq), "statements", d.Statements)
	} else if err := r.run(ctx, plan); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	faults.CrashAfterDDL()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", where, err)
	}
	defer tx.Rollback()
	if err := s.offsets.save(ctx, tx, b); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", where, err)
	}
	s.offsets.advance(b)
	for _, name := range d.Dropped {
		delete(r.created, name)
	}
	for _, def := range d.Tables {
		r.created[def.Name()] = true
	}
	s.applier.observe(b, map[[2]string]int{})
	s.stat.afterCommit(s.offsets.next, b)
	s.log.Info("DDL applied", "seq", string(m.Seq), "statements", plan.stmts)
	return nil
}

// ensureBefore creates the replica tables a DDL works on that the sink has
// not created yet (a table without rows so far), from their definitions
// before the DDL, so that an ALTER or RENAME finds them.
func (r *ddlRunner) ensureBefore(ctx context.Context, d *event.DDL, seq event.Seq) error {
	if d.Verbatim {
		for _, t := range d.Tables { // statements sluice cannot parse: their tables
			if def, at := r.s.schema.before(t.Name(), seq); def != nil && !r.created[t.Name()] {
				if err := r.ensureTable(ctx, t.Name(), at); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, q := range d.Statements {
		stmts, err := catalog.ParseSQL(q)
		if err != nil {
			return fmt.Errorf("parse %q: %w", q, err)
		}
		for _, stmt := range stmts {
			switch st := stmt.(type) {
			case *ast.CreateTableStmt:
				// The database may not be on the replica yet: one that had
				// no table at the snapshot (found by the differential fuzzer).
				if err := r.ensureDatabase(ctx, st, d); err != nil {
					return err
				}
				if st.ReferTable == nil {
					continue
				}
			case *ast.DropTableStmt, *ast.DropDatabaseStmt, *ast.CreateDatabaseStmt:
				continue
			}
			v := &tableNames{}
			stmt.Accept(v)
			for _, tn := range v.names {
				db, t := catalog.Qualify(tn, d.Schema)
				name := db + "." + t
				if r.created[name] {
					continue
				}
				if def, at := r.s.schema.before(name, seq); def != nil {
					if err := r.ensureTable(ctx, name, at); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// table is the quoted record of the DDL applied.
func (r *ddlRunner) table() string { return dbconn.QuoteTable(r.s.cfg.CheckpointDB, "sluice_ddl") }

// ensureLog creates the record table when missing.
func (r *ddlRunner) ensureLog(ctx context.Context) error {
	if r.ready {
		return nil
	}
	if _, err := r.s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+r.table()+` (
		sink VARCHAR(191) NOT NULL,
		seq VARCHAR(64) NOT NULL,
		fingerprint CHAR(64) NOT NULL,
		statement LONGTEXT NOT NULL,
		recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
		PRIMARY KEY (sink, seq)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`); err != nil {
		return fmt.Errorf("sink %s: create %s: %w", r.s.cfg.Name, r.table(), err)
	}
	r.ready = true
	return nil
}

var autoIncRe = regexp.MustCompile(` AUTO_INCREMENT=[0-9]+`)

// fingerprint hashes the replica's definitions of the tables and
// databases a plan touches.
func (r *ddlRunner) fingerprint(ctx context.Context, p *ddlPlan) (string, error) {
	s := r.s
	h := sha256.New()
	for _, t := range p.tables {
		var name, create string
		err := s.db.QueryRowContext(ctx, "SHOW CREATE TABLE "+dbconn.QuoteTable(t[0], t[1])).Scan(&name, &create)
		var me *drv.MySQLError
		switch {
		case errors.As(err, &me) && (me.Number == 1146 || me.Number == 1049):
			create = "absent"
		case err != nil:
			return "", fmt.Errorf("read the replica's definition of %s.%s: %w", t[0], t[1], err)
		}
		fmt.Fprintf(h, "%s.%s\x00%s\x00", t[0], t[1], autoIncRe.ReplaceAllString(create, ""))
	}
	for _, db := range p.dbs {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).Scan(&n); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "db %s\x00%d\x00", db, n)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// run runs a plan's statements on one connection, each in the default
// database its source session had when that database exists on the
// replica (statements that need none are fully qualified).
func (r *ddlRunner) run(ctx context.Context, p *ddlPlan) error {
	conn, err := r.s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if p.useDB != "" {
		if _, err := conn.ExecContext(ctx, "USE "+dbconn.QuoteIdent(p.useDB)); err != nil {
			return fmt.Errorf("USE %s on the replica: %w", p.useDB, err)
		}
	}
	for _, q := range p.stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("on the replica: %q: %w", q, err)
		}
	}
	return nil
}

// ensureDatabase creates the replica database a CREATE TABLE of the
// marker d goes to when missing, with the source database's default
// character set (carried by the table's definition in d).
func (r *ddlRunner) ensureDatabase(ctx context.Context, st *ast.CreateTableStmt, d *event.DDL) error {
	db, t := catalog.Qualify(st.Table, d.Schema)
	for i := range d.Tables {
		if def := &d.Tables[i]; def.DB == db && def.Table == t {
			rdb, _ := r.s.routes.table(db, t)
			if _, err := r.s.db.ExecContext(ctx, createDatabase(rdb, def)); err != nil {
				return fmt.Errorf("create database %s on the replica: %w", rdb, err)
			}
			return nil
		}
	}
	return nil
}
