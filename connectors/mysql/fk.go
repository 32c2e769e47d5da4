package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

// checkForeignKeys refuses selected tables whose foreign keys change rows
// by themselves: ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT.
// The server applies those actions inside the storage engine and does not
// log them (MariaDB 10.11 and MySQL write the parent's row change, not the
// children's), so the replicas would keep rows the source deleted or
// changed. The sink cannot make up for it: it runs with
// foreign_key_checks=0, under which the replica's own foreign keys do not
// cascade either. RESTRICT and NO ACTION foreign keys are fine: every row
// change they allow is in the binlog. A cascading foreign key added by DDL
// while sluice streams is found at the next start.
func checkForeignKeys(ctx context.Context, db *sql.DB, f tableFilter) error {
	rows, err := db.QueryContext(ctx, `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME,
		UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE
		FROM information_schema.REFERENTIAL_CONSTRAINTS
		WHERE DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION')
		ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME`)
	if err != nil {
		return fmt.Errorf("read foreign keys: %w", err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var db, table, name, refDB, refTable, onDelete, onUpdate string
		if err := rows.Scan(&db, &table, &name, &refDB, &refTable, &onDelete, &onUpdate); err != nil {
			return err
		}
		if f.Match(db, table) {
			found = append(found, fmt.Sprintf("%s.%s foreign key %s references %s.%s ON DELETE %s ON UPDATE %s",
				db, table, quoteIdent(name), refDB, refTable, onDelete, onUpdate))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(found) == 0 {
		return nil
	}
	return &connector.Fatal{Err: fmt.Errorf("selected tables have foreign keys whose actions the binlog does not carry "+
		"(the rows they delete or change would stay on the replicas):\n  %s\nfix: make them ON DELETE RESTRICT ON UPDATE RESTRICT "+
		"(ALTER TABLE ... DROP FOREIGN KEY ..., ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES ... ON DELETE RESTRICT ON UPDATE RESTRICT) "+
		"and delete children explicitly, or leave these tables out of tables:", strings.Join(found, "\n  "))}
}
