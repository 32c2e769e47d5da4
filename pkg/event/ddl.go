package event

// DDL is a schema change of selected tables or databases, carried on the
// transaction topic as a barrier: a sink applies every transaction before
// it, then the DDL, then what follows. The marker that carries it has no
// rows (event_count 0).
type DDL struct {
	// Statements are run in order on the replica. Usually the binlog's
	// statement; the cut-over of an online schema change tool carries the
	// ALTERs that were run on its shadow table, aimed at the original table.
	Statements []string `json:"statements"`
	// Schema is the default database of the session that ran it (unqualified
	// table names belong to it).
	Schema string `json:"schema,omitempty"`
	// Tables are the definitions, after the statement, of the selected
	// tables it created or changed; Dropped the selected tables it removed
	// ("db.table"); Databases the selected databases it created or dropped.
	Tables    []TableDef `json:"tables,omitempty"`
	Dropped   []string   `json:"dropped,omitempty"`
	Databases []string   `json:"databases,omitempty"`
	// Renamed maps "db.old" to "db.new" for RENAME TABLE and ALTER TABLE ...
	// RENAME of selected tables, in statement order.
	Renamed [][2]string `json:"renamed,omitempty"`
	// Truncated lists the selected tables a TRUNCATE emptied.
	Truncated []string `json:"truncated,omitempty"`
	// Verbatim says sluice could not parse the statements: the source read
	// their result from the server, and sinks run them as written (in
	// Schema), with no routes.
	Verbatim bool `json:"verbatim,omitempty"`
	// Recreate lists tables ("db.table") that sinks create again, after
	// Statements, from their definitions in Tables (CreateSQL as the source
	// server prints it, which sluice's parser may not read): a table that
	// leaves quarantine is dropped by Statements and made anew this way.
	Recreate []string `json:"recreate,omitempty"`
}
