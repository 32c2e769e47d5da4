package event

import (
	"encoding/json"
	"fmt"
)

// Column describes one column of a source table, as read from
// information_schema.COLUMNS. It carries what a sink needs to recreate the
// column and what package value needs to encode and decode its values.
type Column struct {
	Name       string   `json:"name"`
	DataType   string   `json:"data_type"`   // lower case: int, varchar, decimal, ...
	ColumnType string   `json:"column_type"` // full type: "int(10) unsigned", "enum('a','b')"
	Unsigned   bool     `json:"unsigned,omitempty"`
	Nullable   bool     `json:"nullable"`
	Charset    string   `json:"charset,omitempty"` // character set of text columns
	Collation  string   `json:"collation,omitempty"`
	Precision  int      `json:"precision,omitempty"` // DECIMAL precision
	Scale      int      `json:"scale,omitempty"`     // DECIMAL scale, fractional digits of temporal types
	Default    *string  `json:"default,omitempty"`   // as in COLUMN_DEFAULT
	Generated  string   `json:"generated,omitempty"` // generation expression; never written by sinks
	Stored     bool     `json:"stored,omitempty"`    // STORED (true) or VIRTUAL generated column
	Members    []string `json:"members,omitempty"`   // ENUM and SET members, in order
}

// TableDef is a table's definition as it travels on the schema topic.
type TableDef struct {
	DB         string   `json:"db"`
	Table      string   `json:"table"`
	Columns    []Column `json:"columns"`
	PrimaryKey []string `json:"primary_key"`
	// CreateSQL is SHOW CREATE TABLE at capture time; sinks use it to create
	// a missing table so that indexes, charsets and defaults match.
	CreateSQL string `json:"create_sql,omitempty"`
	// DBCharset and DBCollation are the default character set and
	// collation of the table's database where the definition was read from
	// the server (empty in definitions a DDL statement made): a sink that
	// creates the database gives it the same defaults, so tables created
	// in it later without a character set get the source's.
	DBCharset   string `json:"db_charset,omitempty"`
	DBCollation string `json:"db_collation,omitempty"`
}

// Name returns "db.table".
func (t *TableDef) Name() string { return t.DB + "." + t.Table }

// Column returns the column called name, or nil.
func (t *TableDef) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// SchemaRecord is the value of a message on the schema topic, the source's
// schema history: a table definition in force from Seq on. Definitions read
// from the server at first start (or for a table seen for the first time)
// have no Statement; every DDL of a selected table adds one record per table
// it changed, with the statement and its binlog position. The topic keeps
// every record forever, so history can be rebuilt as of any position.
type SchemaRecord struct {
	Seq   Seq      `json:"seq"`
	Table TableDef `json:"table"`
	// Dropped says the table does not exist from Seq on (Table then holds
	// only its name).
	Dropped bool `json:"dropped,omitempty"`
	// Statement is the DDL that produced this definition, Schema the
	// session's default database and Position where the statement ends.
	Statement string    `json:"statement,omitempty"`
	Schema    string    `json:"schema,omitempty"`
	Position  *Position `json:"position,omitempty"`
	// Topic is the topic of the table's rows, as the source that wrote the
	// record chose it. Records written before topics were named per source
	// have none: a table with only such records keeps its old topic
	// "<pipeline>.<db>.<table>" where it exists (docs/events.md, "Topic
	// names").
	Topic string `json:"topic,omitempty"`
	// Database, when set, makes this a record of a selected database's
	// defaults instead of a table's (Table is empty): in force from Seq
	// on, or dropped. A history rebuilt at a position needs the database
	// defaults in force there, for tables created after it.
	Database *DatabaseDef `json:"database,omitempty"`
}

// DatabaseDef is a database's default character set and collation.
type DatabaseDef struct {
	Name      string `json:"name"`
	Charset   string `json:"charset,omitempty"`
	Collation string `json:"collation,omitempty"`
}

// DecodeSchemaRecord parses a schema-topic message value.
func DecodeSchemaRecord(b []byte) (*SchemaRecord, error) {
	var r SchemaRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode schema record: %w", err)
	}
	if r.Database != nil {
		if r.Database.Name == "" || r.Database.Charset == "" && !r.Dropped {
			return nil, fmt.Errorf("decode schema record: database name or character set missing")
		}
		return &r, nil
	}
	if r.Table.DB == "" || r.Table.Table == "" || (len(r.Table.Columns) == 0 && !r.Dropped) {
		return nil, fmt.Errorf("decode schema record: table name or columns missing")
	}
	return &r, nil
}
