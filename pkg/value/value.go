package value

import (
	"errors"
	"fmt"

	"github.com/sluice-cdc/sluice/pkg/event"
)

var (
	// ErrUnsupported marks a column type or character set that package value
	// cannot encode losslessly, so it refuses it.
	ErrUnsupported = errors.New("unsupported")
	// ErrInvalid marks a value that does not fit its column: out of range,
	// malformed, an ENUM index past the members, invalid text in the
	// column's character set, or a Go type the column cannot take.
	ErrInvalid = errors.New("invalid value")
)

// columnError names the column, its type and the source of the value.
func columnError(c *event.Column, op string, err error) error {
	t := c.ColumnType
	if t == "" {
		t = c.DataType
	}
	return fmt.Errorf("value: %s: column %q (%s): %w", op, c.Name, t, err)
}

// FromBinlog converts a value decoded by go-mysql's replication package for
// column c into its JSON-ready form (see the package documentation for the
// table). The syncer must be configured by ConfigureSyncer. A nil v is SQL
// NULL and yields nil. The result never aliases v: go-mysql's strings and
// byte slices point into the event buffer.
func FromBinlog(c *event.Column, v any) (any, error) {
	if c == nil {
		return nil, errors.New("value: FromBinlog: nil column")
	}
	if v == nil {
		return nil, nil
	}
	out, err := fromBinlog(c, v)
	if err != nil {
		return nil, columnError(c, "binlog", err)
	}
	return out, nil
}

func fromBinlog(c *event.Column, v any) (any, error) {
	k, err := kindOf(c)
	if err != nil {
		return nil, err
	}
	switch k {
	case kindInt:
		return intFromBinlog(c, v)
	case kindDecimal:
		s, ok := v.(string)
		if !ok {
			return nil, wrongType(v, "a string (set UseDecimal=false with ConfigureSyncer)")
		}
		return decimalValue(c, s)
	case kindFloat:
		return floatFromBinlog(v)
	case kindDouble:
		return doubleFromBinlog(v)
	case kindBit:
		return bitFromBinlog(v)
	case kindYear:
		return yearFromBinlog(v)
	case kindDate, kindDatetime, kindTimestamp, kindTime:
		s, ok := v.(string)
		if !ok {
			return nil, wrongType(v, "a string (set ParseTime=false with ConfigureSyncer)")
		}
		return temporalValue(c, k, s)
	case kindText:
		b, err := binlogBytes(v)
		if err != nil {
			return nil, err
		}
		return decodeText(c.Charset, b)
	case kindBytes, kindGeometry:
		b, err := binlogBytes(v)
		if err != nil {
			return nil, err
		}
		return bytesValue(c, b)
	case kindEnum:
		return enumFromIndex(c, v)
	case kindSet:
		return setFromBits(c, v)
	case kindJSON:
		return jsonFromBinlog(v)
	}
	return nil, fmt.Errorf("%w: kind %d", ErrUnsupported, k)
}

// FromText converts a value read by a snapshot SELECT (database/sql scanning
// into sql.RawBytes; a nil slice is SQL NULL) into the same JSON-ready form
// FromBinlog returns for the same stored value. The session must run with
// time_zone '+00:00' and character set utf8mb4, and list each column as
// SelectExpr returns it.
func FromText(c *event.Column, raw []byte) (any, error) {
	if c == nil {
		return nil, errors.New("value: FromText: nil column")
	}
	if raw == nil {
		return nil, nil
	}
	out, err := fromText(c, raw)
	if err != nil {
		return nil, columnError(c, "snapshot", err)
	}
	return out, nil
}

func fromText(c *event.Column, raw []byte) (any, error) {
	k, err := kindOf(c)
	if err != nil {
		return nil, err
	}
	switch k {
	case kindInt:
		return intFromText(c, raw)
	case kindDecimal:
		return decimalValue(c, string(raw))
	case kindFloat:
		return floatFromString(string(raw), 32)
	case kindDouble:
		return floatFromString(string(raw), 64)
	case kindBit:
		return bitFromText(raw)
	case kindYear:
		return yearFromText(raw)
	case kindDate, kindDatetime, kindTimestamp, kindTime:
		return temporalValue(c, k, string(raw))
	case kindText:
		if err := checkCharset(c.Charset); err != nil {
			return nil, err
		}
		return decodeText("utf8mb4", raw) // the server converted it
	case kindBytes, kindGeometry:
		return bytesValue(c, raw)
	case kindEnum:
		return enumFromText(c, raw)
	case kindSet:
		return setFromText(c, raw)
	case kindJSON:
		return jsonValue(raw)
	}
	return nil, fmt.Errorf("%w: kind %d", ErrUnsupported, k)
}

// ToSQL converts a value decoded from the JSON envelope (encoding/json with
// UseNumber: json.Number, string, bool, nil, map[string]any, []any; also
// the values FromBinlog returns) into an argument for go-sql-driver/mysql,
// such that inserting it into an identical column stores the identical
// value. The session must run with time_zone '+00:00' and charset utf8mb4.
func ToSQL(c *event.Column, v any) (any, error) {
	if c == nil {
		return nil, errors.New("value: ToSQL: nil column")
	}
	if v == nil {
		return nil, nil
	}
	out, err := toSQL(c, v)
	if err != nil {
		return nil, columnError(c, "to sql", err)
	}
	return out, nil
}

func toSQL(c *event.Column, v any) (any, error) {
	k, err := kindOf(c)
	if err != nil {
		return nil, err
	}
	switch k {
	case kindInt:
		return intToSQL(c, v)
	case kindDecimal:
		s, err := numberText(v)
		if err != nil {
			return nil, err
		}
		return decimalValue(c, s)
	case kindFloat, kindDouble:
		return floatToSQL(k, v)
	case kindBit:
		return bitToSQL(v)
	case kindYear:
		return yearToSQL(v)
	case kindDate, kindDatetime, kindTimestamp, kindTime:
		s, ok := v.(string)
		if !ok {
			return nil, wrongType(v, "a string")
		}
		return temporalValue(c, k, s)
	case kindText, kindEnum, kindSet:
		return textToSQL(c, k, v)
	case kindBytes, kindGeometry:
		return bytesToSQL(v)
	case kindJSON:
		return jsonToSQL(v)
	}
	return nil, fmt.Errorf("%w: kind %d", ErrUnsupported, k)
}

// wrongType reports a Go value of a type the column cannot take.
func wrongType(v any, want string) error {
	return fmt.Errorf("%w: got %T, want %s", ErrInvalid, v, want)
}

// Supported reports whether values of column c can be converted (nil), or
// names why not (wrapping ErrUnsupported): its type, or the character set
// of a text column. It is what FromBinlog and FromText would refuse for
// every non-NULL value of the column.
func Supported(c *event.Column) error {
	k, err := kindOf(c)
	if err == nil && k == kindText {
		err = checkCharset(c.Charset)
	}
	if err != nil {
		return columnError(c, "column", err)
	}
	return nil
}
