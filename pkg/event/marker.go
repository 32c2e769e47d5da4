package event

import (
	"encoding/json"
	"fmt"
)

// DataCollection counts the rows of one table in a transaction (Debezium form).
type DataCollection struct {
	DataCollection string `json:"data_collection"`
	EventCount     uint64 `json:"event_count"`
}

// PartitionCount says how many rows of a transaction went to one partition.
type PartitionCount struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Count     uint64 `json:"count"`
}

// Position is a source position at a transaction boundary: where a reader
// resumes after the transaction.
type Position struct {
	File string `json:"file"`
	Pos  uint64 `json:"pos"`
	GTID string `json:"gtid,omitempty"` // executed GTID set after the transaction
}

func (p Position) String() string {
	if p.GTID != "" {
		return fmt.Sprintf("%s:%d (gtid %s)", p.File, p.Pos, p.GTID)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Pos)
}

// TxMarker closes a source transaction. It is the value of a message on the
// source's transaction topic, in the shape of a Debezium transaction END
// event, with sluice's fields added.
type TxMarker struct {
	Status          string           `json:"status"` // always "END"
	ID              string           `json:"id"`
	TsMs            int64            `json:"ts_ms"` // commit time at the source
	EventCount      uint64           `json:"event_count"`
	DataCollections []DataCollection `json:"data_collections"`

	Seq        Seq              `json:"seq"`
	Position   Position         `json:"position"`
	Partitions []PartitionCount `json:"partitions"`
	// Truncate lists tables ("db.table") a sink must empty before applying
	// the rows of this transaction: a restarted snapshot begins this way so
	// that rows deleted since the interrupted attempt do not survive.
	Truncate []string `json:"truncate,omitempty"`
	// Snapshot is true for the chunks of an initial snapshot.
	Snapshot bool `json:"snapshot,omitempty"`
	// Range, on a chunk of an incremental snapshot, is the primary-key range
	// the chunk read: a sink deletes the rows of that range the chunk does
	// not hold (the source had no such row at the chunk's position) before
	// applying the chunk's rows.
	Range *KeyRange `json:"range,omitempty"`
	// DDL is set on the marker of a schema change, which carries no rows.
	DDL *DDL `json:"ddl,omitempty"`
}

// KeyRange is a primary-key range of one table, compared column by column
// in key order like the source's ORDER BY. Values are encoded as in row
// envelopes.
type KeyRange struct {
	Table string `json:"table"` // "db.table"
	// After is the exclusive lower bound; null: from the table's first key.
	After map[string]json.RawMessage `json:"after"`
	// Through is the inclusive upper bound; null: to the table's last key.
	Through map[string]json.RawMessage `json:"through"`
}

// Encode returns the JSON encoding of m.
func (m *TxMarker) Encode() ([]byte, error) { return json.Marshal(m) }

// DecodeTxMarker parses a transaction-topic message value. Debezium BEGIN
// events carry no rows and are returned with Status "BEGIN"; callers skip them.
//
// What sluice writes is read without reflection (decode_fast.go); anything
// else goes through encoding/json, with the same result or error.
func DecodeTxMarker(b []byte) (*TxMarker, error) {
	m, ok := fastTxMarker(b)
	if !ok {
		m = &TxMarker{}
		if err := json.Unmarshal(b, m); err != nil {
			return nil, fmt.Errorf("decode transaction marker: %w", err)
		}
	}
	switch m.Status {
	case "BEGIN":
		return m, nil
	case "END":
	default:
		return nil, fmt.Errorf("decode transaction marker: unknown status %q", m.Status)
	}
	if !m.Seq.Valid() {
		return nil, fmt.Errorf("decode transaction marker %q: invalid seq %q", m.ID, m.Seq)
	}
	var n uint64
	for _, p := range m.Partitions {
		if n+p.Count < n { // a wrapped sum would let a huge count pass the check below
			return nil, fmt.Errorf("decode transaction marker %q: partition counts overflow", m.ID)
		}
		n += p.Count
	}
	if n != m.EventCount {
		return nil, fmt.Errorf("decode transaction marker %q: partitions count %d rows, event_count says %d", m.ID, n, m.EventCount)
	}
	return m, nil
}
