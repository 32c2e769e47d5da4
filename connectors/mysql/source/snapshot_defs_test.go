package source

import (
	"context"
	"errors"
	"testing"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestDefsStable: a DDL between reading the definitions and opening the
// snapshot's view is caught (the snapshot starts again), whatever it did.
func TestDefsStable(t *testing.T) {
	srv := mariadbtest.Start(t, mariadbtest.Options{})
	db := srv.DB(t)
	srv.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.a (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE shop.b (id INT PRIMARY KEY)", "CREATE DATABASE other", "CREATE TABLE other.x (id INT PRIMARY KEY)")
	ctx := context.Background()
	s := &Source{cfg: &Config{Connector: &config.Connector{Name: "src"}}, db: db, filter: catalog.Filter{"shop.*"}, tables: map[string]*event.TableDef{}}
	read := func() []string { // what initSchema reads
		clear(s.tables)
		tables, err := catalog.ListTables(ctx, db, s.filter)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range tables {
			def, err := catalog.LoadTable(ctx, db, n[0], n[1])
			if err != nil {
				t.Fatal(err)
			}
			s.tables[def.Name()] = def
			names = append(names, def.Name())
		}
		return names
	}
	for _, c := range []struct{ ddl, table, what string }{
		{"", "", ""},
		{"CREATE TABLE other.y (id INT PRIMARY KEY)", "", ""}, // not selected
		{"ALTER TABLE shop.a ADD COLUMN w INT", "shop.a", "changed"},
		{"ALTER TABLE shop.a MODIFY v BIGINT", "shop.a", "changed"},
		{"ALTER TABLE shop.b DROP PRIMARY KEY, ADD PRIMARY KEY (id)", "", ""}, // same key
		{"CREATE TABLE shop.c (id INT PRIMARY KEY)", "shop.c", "appeared"},
		{"DROP TABLE shop.c", "shop.c", "disappeared"},
		{"RENAME TABLE shop.b TO shop.b2", "shop.b2", "appeared"},
	} {
		names := read()
		if c.ddl != "" {
			srv.Exec(t, c.ddl)
		}
		err := s.defsStable(ctx, names)
		var moved *errDefsMoved
		switch {
		case c.table == "" && err != nil:
			t.Errorf("after %q: %v, want stable", c.ddl, err)
		case c.table != "" && (!errors.As(err, &moved) || moved.table != c.table || moved.what != c.what):
			t.Errorf("after %q: %v, want %s %s", c.ddl, err, c.table, c.what)
		}
	}
}
