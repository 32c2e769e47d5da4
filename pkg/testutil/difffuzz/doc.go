// Package difffuzz is the differential fuzzer of sluice: a seeded
// generator of DDL and DML statements runs on a source server that has
// both a native MariaDB replica (the oracle) and a sluice replica; after
// each round every table of the fuzzed databases must compare equal
// between the two replicas, or be quarantined by sluice with a reason.
//
// In: a *rand.Rand (the seed), the source's connection, and, to compare,
// both replicas' connections. Out: statements (Stmt) by class, per-class
// counts (Stats), divergences (Compare), and a minimized reproduction of
// one (Minimize) for the caller to write to a file.
//
// The databases it creates all start with Prefix, so one pattern selects
// them (tables: ["fz*.*"]); Other is a database outside that selection,
// for renames into and out of it.
package difffuzz

// Prefix starts the name of every database the generator creates.
const Prefix = "fz"

// Other is a database the generator uses outside the fuzzed selection.
const Other = "offside"

// Q quotes an identifier for MariaDB.
func Q(name string) string {
	out := make([]byte, 0, len(name)+2)
	out = append(out, '`')
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			out = append(out, '`')
		}
		out = append(out, name[i])
	}
	return string(append(out, '`'))
}

// QT quotes db.table.
func QT(db, table string) string { return Q(db) + "." + Q(table) }
