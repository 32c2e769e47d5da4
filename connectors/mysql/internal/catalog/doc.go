// Package catalog is the table model of the MySQL connectors and what
// changes it. In: information_schema (ListTables, LoadTable, PrimaryKey,
// the keys of tables without a primary key), DDL statements from the
// binlog, parsed with the TiDB parser (ParseSQL) in MariaDB's or MySQL's
// dialect. Out: event.TableDef definitions, and for each DDL a Change that
// says which tables it created, altered, renamed, dropped or truncated and
// the statements a sink runs for it.
//
// State holds the selected tables' definitions as of a binlog position and
// applies DDL to them in memory (ddl*.go), tracking the shadow tables of
// online schema change tools (gh-ost, pt-osc: ddl_shadow.go) so that their
// cut-over becomes ALTERs on the replicas. Filter is the tables: patterns.
// fk.go refuses tables with cascading foreign keys, whose changes the
// binlog does not carry.
package catalog
