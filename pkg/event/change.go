package event

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Op is the kind of a change, as in Debezium.
type Op string

// The change kinds.
const (
	OpCreate   Op = "c"
	OpUpdate   Op = "u"
	OpDelete   Op = "d"
	OpRead     Op = "r" // a row copied by a snapshot
	OpTruncate Op = "t"
)

// Row maps column names to their JSON-ready values (see package value).
type Row map[string]any

// Source is the Debezium "source" block: where a change came from.
type Source struct {
	Version   string  `json:"version"`
	Connector string  `json:"connector"`
	Name      string  `json:"name"`
	TsMs      int64   `json:"ts_ms"`
	Snapshot  string  `json:"snapshot"` // "true", "last" or "false"
	DB        string  `json:"db"`
	Table     string  `json:"table"`
	ServerID  uint32  `json:"server_id"`
	GTID      *string `json:"gtid"`
	File      string  `json:"file"`
	Pos       uint32  `json:"pos"`
	Row       int     `json:"row"`
	Thread    *uint32 `json:"thread"`
	Query     *string `json:"query"`
}

// Transaction is the Debezium "transaction" block plus sluice's Seq.
// TotalOrder counts from 1 across the transaction; DataCollectionOrder counts
// from 1 within the table.
type Transaction struct {
	ID                  string `json:"id"`
	TotalOrder          uint64 `json:"total_order"`
	DataCollectionOrder uint64 `json:"data_collection_order"`
	Seq                 Seq    `json:"seq"`
}

// Change is one row change: the value of a message on a table topic.
type Change struct {
	Before      Row          `json:"before"`
	After       Row          `json:"after"`
	Op          Op           `json:"op"`
	TsMs        int64        `json:"ts_ms"`
	Source      Source       `json:"source"`
	Transaction *Transaction `json:"transaction"`
}

// Table returns "db.table", the name of the change's data collection.
func (c *Change) Table() string { return c.Source.DB + "." + c.Source.Table }

// Encode returns the JSON encoding of c, byte for byte what json.Marshal
// returns (encode.go).
func (c *Change) Encode() ([]byte, error) {
	return encodeExact(func(b []byte) ([]byte, error) { return appendChange(b, c) })
}

// DecodeChange parses a table-topic message value. Column values in
// Before and After are left as json.RawMessage: only the column's type says
// how to read them (a JSON column's text must stay byte for byte; a number
// must not pass through float64).
//
// What sluice writes is read without reflection (decode_fast.go); anything
// else goes through encoding/json, with the same result or error.
func DecodeChange(b []byte) (*Change, error) {
	c, ok := fastChange(b)
	if !ok {
		var err error
		if c, err = jsonChange(b); err != nil {
			return nil, err
		}
	}
	switch c.Op {
	case OpCreate, OpUpdate, OpDelete, OpRead, OpTruncate:
	default:
		return nil, fmt.Errorf("decode change: unknown op %q", c.Op)
	}
	if c.Transaction == nil {
		return nil, fmt.Errorf("decode change: no transaction block (sluice needs it to group rows)")
	}
	return c, nil
}

// jsonChange is DecodeChange's encoding/json path, before its checks.
func jsonChange(b []byte) (*Change, error) {
	var w struct {
		Change
		Before map[string]json.RawMessage `json:"before"`
		After  map[string]json.RawMessage `json:"after"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode change: %w", err)
	}
	c := w.Change
	c.Before, c.After = rawRow(w.Before), rawRow(w.After)
	return &c, nil
}

// EncodeKey returns the message key: the primary-key columns as a JSON
// object, as json.Marshal encodes it.
func EncodeKey(key Row) ([]byte, error) {
	return encodeExact(func(b []byte) ([]byte, error) { return appendRow(b, key) })
}

func rawRow(m map[string]json.RawMessage) Row {
	if m == nil {
		return nil
	}
	r := make(Row, len(m))
	for k, v := range m {
		r[k] = v
	}
	return r
}

// DecodeValue reads a raw column value with numbers kept as json.Number.
// Plain scalars (null, booleans, numbers, strings without escapes) are read
// directly (decode.go); anything else goes through encoding/json, with the
// same result.
func DecodeValue(raw json.RawMessage) (any, error) {
	if v, ok := decodeScalar(raw); ok {
		return v, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
