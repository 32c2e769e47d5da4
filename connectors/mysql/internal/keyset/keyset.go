package keyset

import (
	"encoding/json"
	"strings"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/value"
)

// Arg returns a query argument that compares like the column does:
// text for character columns (so the collation applies), bytes otherwise.
func Arg(c *event.Column, raw []byte) any {
	switch c.DataType {
	case "binary", "varbinary", "blob", "tinyblob", "mediumblob", "longblob":
		return append([]byte(nil), raw...)
	}
	return string(raw)
}

// AfterKey returns the condition "(k1, k2, ...) > (?, ?, ...)" expanded so
// that index range scans apply: k1 > ? OR (k1 = ? AND k2 > ?) OR ...
func AfterKey(cols []string) string {
	var ors []string
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, cols[j]+" = ?")
		}
		ands = append(ands, cols[i]+" > ?")
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// ExpandAfterKey lays out the arguments in afterKey's order.
func ExpandAfterKey(key []any) []any {
	var args []any
	for i := range key {
		args = append(args, key[:i+1]...)
	}
	return args
}

// SQLArg turns a decoded envelope value into a statement argument. A JSON
// column's text is passed through untouched; every other value is read
// with exact numbers and converted by package value.
func SQLArg(c *event.Column, v any) (any, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		return value.ToSQL(c, v)
	}
	if c.DataType == "json" {
		if string(raw) == "null" {
			return nil, nil
		}
		return string(raw), nil
	}
	d, err := event.DecodeValue(raw) // plain scalars without a json.Decoder (pkg/event decode.go)
	if err != nil {
		return nil, err
	}
	return value.ToSQL(c, d)
}
