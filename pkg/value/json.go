package value

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"
)

// jsonFromBinlog takes go-mysql's rendering of a MySQL binary JSON value (a
// string), or the text of a JSON column stored as text ([]byte). An empty
// binary document is what MySQL writes for a NULL forced into a NOT NULL
// JSON column; MySQL reads it as the JSON null literal.
func jsonFromBinlog(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return jsonValue([]byte(x))
	case []byte:
		if len(x) == 0 {
			return json.RawMessage("null"), nil
		}
		return jsonValue(x)
	case *replication.JsonDiff:
		return nil, fmt.Errorf("%w: partial JSON update (binlog_row_value_options=PARTIAL_JSON); "+
			"set it to '' on the source so that the full document is logged", ErrUnsupported)
	}
	return nil, wrongType(v, "a JSON string")
}

// jsonValue validates a JSON document and returns it compacted. A JSON
// column stores a parsed document (MySQL's binary JSON), not its text, so
// whitespace carries no information, while numbers keep their exact text.
func jsonValue(b []byte) (any, error) {
	var buf bytes.Buffer
	buf.Grow(len(b))
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("%w: not a JSON document: %v", ErrInvalid, err)
	}
	return json.RawMessage(buf.Bytes()), nil
}

// jsonToSQL returns the document's text. A json.RawMessage or a string is
// taken as the document's text (a string is how Debezium sends JSON);
// values decoded from the envelope (map[string]any, []any, json.Number,
// bool) are marshalled again, numbers keeping their digits. A document
// that is itself a JSON string must arrive as a json.RawMessage: a Go
// string is read as JSON text.
func jsonToSQL(v any) (any, error) {
	var b []byte
	switch x := v.(type) {
	case json.RawMessage:
		b = x
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case map[string]any, []any, json.Number, bool:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	default:
		return nil, wrongType(v, "JSON text or a decoded JSON value")
	}
	out, err := jsonValue(b)
	if err != nil {
		return nil, err
	}
	return string(out.(json.RawMessage)), nil
}
