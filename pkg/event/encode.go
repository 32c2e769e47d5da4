package event

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// The reader encodes every row change it publishes; encoding/json spends
// most of that time on reflection and on sorting map keys through
// reflect.Value. appendChange writes the same bytes json.Marshal writes
// for a *Change (fields in struct order, map keys sorted, HTML-escaped
// strings, ES6 number form), with the value types package value produces
// written directly and any other value handed to json.Marshal. The tests
// compare both encoders byte for byte.

var scratch = sync.Pool{New: func() any { return new([]byte) }}

// encodeExact runs appendTo on a pooled buffer and returns a copy of
// exactly the encoded size: records stay queued until Kafka acknowledges
// them, so spare capacity would be held that long.
func encodeExact(appendTo func([]byte) ([]byte, error)) ([]byte, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	b, err := appendTo((*buf)[:0])
	if err != nil {
		return nil, err
	}
	if cap(b) <= 1<<20 { // keep scratch buffers of ordinary rows only
		*buf = b
	}
	return slices.Clone(b), nil
}

func appendChange(b []byte, c *Change) ([]byte, error) {
	var err error
	b = append(b, `{"before":`...)
	if b, err = appendRow(b, c.Before); err != nil {
		return nil, err
	}
	b = append(b, `,"after":`...)
	if b, err = appendRow(b, c.After); err != nil {
		return nil, err
	}
	b = append(b, `,"op":`...)
	b = appendString(b, string(c.Op))
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, c.TsMs, 10)
	b = append(b, `,"source":`...)
	b = appendSource(b, &c.Source)
	b = append(b, `,"transaction":`...)
	if t := c.Transaction; t == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = appendString(b, t.ID)
		b = append(b, `,"total_order":`...)
		b = strconv.AppendUint(b, t.TotalOrder, 10)
		b = append(b, `,"data_collection_order":`...)
		b = strconv.AppendUint(b, t.DataCollectionOrder, 10)
		b = append(b, `,"seq":`...)
		b = appendString(b, string(t.Seq))
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendSource(b []byte, s *Source) []byte {
	b = append(b, `{"version":`...)
	b = appendString(b, s.Version)
	b = append(b, `,"connector":`...)
	b = appendString(b, s.Connector)
	b = append(b, `,"name":`...)
	b = appendString(b, s.Name)
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, s.TsMs, 10)
	b = append(b, `,"snapshot":`...)
	b = appendString(b, s.Snapshot)
	b = append(b, `,"db":`...)
	b = appendString(b, s.DB)
	b = append(b, `,"table":`...)
	b = appendString(b, s.Table)
	b = append(b, `,"server_id":`...)
	b = strconv.AppendUint(b, uint64(s.ServerID), 10)
	b = append(b, `,"gtid":`...)
	b = appendStringPtr(b, s.GTID)
	b = append(b, `,"file":`...)
	b = appendString(b, s.File)
	b = append(b, `,"pos":`...)
	b = strconv.AppendUint(b, uint64(s.Pos), 10)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(s.Row), 10)
	b = append(b, `,"thread":`...)
	if s.Thread == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendUint(b, uint64(*s.Thread), 10)
	}
	b = append(b, `,"query":`...)
	b = appendStringPtr(b, s.Query)
	return append(b, '}')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendRow writes r as a JSON object with its keys in sorted order; a nil
// Row is null.
func appendRow(b []byte, r Row) ([]byte, error) {
	if r == nil {
		return append(b, "null"...), nil
	}
	// Rows of a table share their keys: try the sorted keys last seen for
	// a row of this many columns before sorting again.
	slot := &sortedKeys[len(r)%len(sortedKeys)]
	if keys := slot.Load(); keys != nil && len(*keys) == len(r) {
		if out, ok, err := appendRowKeys(b, r, *keys); ok || err != nil {
			return out, err
		}
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slot.Store(&keys)
	out, _, err := appendRowKeys(b, r, keys)
	return out, err
}

// sortedKeys caches the sorted keys of recent rows, by their count; the
// slices are never changed once stored.
var sortedKeys [32]atomic.Pointer[[]string]

// appendRowKeys writes r with keys, sorted, which must be exactly r's
// keys; ok is false, with b unchanged, when one of them is not in r.
func appendRowKeys(b []byte, r Row, keys []string) (out []byte, ok bool, err error) {
	start := len(b)
	b = append(b, '{')
	for i, k := range keys {
		v, found := r[k]
		if !found {
			return b[:start], false, nil
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, v); err != nil {
			return nil, true, err
		}
	}
	return append(b, '}'), true, nil
}

// appendValue writes one column value.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendFloat(b, x), nil
		}
	case []byte:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"'), nil
	}
	// json.RawMessage (compacted and HTML-escaped by json.Marshal),
	// json.Number, nested values, and the errors json.Marshal reports.
	enc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

// appendFloat writes f as encoding/json does: like ES6, %f between 1e-6
// and 1e21, else %e with a short exponent.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string the way json.Marshal does: <, >
// and & escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
