// Package value is sluice's one encoding of MySQL/MariaDB column values:
// from the binlog, from a snapshot SELECT, and back into SQL.
//
// # Data flow
//
// The source decodes row events with go-mysql's replication package,
// configured by ConfigureSyncer, and passes each column value to
// FromBinlog. The snapshot reads the same tables with a SELECT that lists
// each column as SelectExpr returns it and passes each sql.RawBytes to
// FromText. Both return the same JSON-ready Go value for the same stored
// value (reflect.DeepEqual), which goes into the envelope's before/after
// objects. The sink decodes the envelope with json.Decoder.UseNumber and
// passes each value to ToSQL, whose result is an argument for
// go-sql-driver/mysql that stores the identical value in an identical
// column.
//
// Column metadata comes from information_schema.COLUMNS (event.Column);
// DescribeColumn derives Unsigned, Members, Precision and Scale from
// COLUMN_TYPE where the caller did not set them.
//
// # Event format
//
// NULL is JSON null in every column. Other values:
//
//	Column type                      JSON value                  Example
//	-------------------------------  --------------------------  ----------------------------------------
//	TINYINT..BIGINT                  number (int64)              -9223372036854775808
//	TINYINT..BIGINT UNSIGNED         number (uint64)             18446744073709551615
//	DECIMAL(p,s)                     string, exactly s decimals  "-0.000000000000000000000000000001"
//	FLOAT                            number, shortest float32    1.1
//	DOUBLE                           number, shortest float64    1e-300
//	BIT(n)                           number (uint64)             18446744073709551615
//	YEAR                             number, 0 for 0000          2155
//	DATE                             string                      "2024-02-29", "0000-00-00"
//	DATETIME(p)                      string, exactly p decimals  "2020-01-02 03:04:05.000000"
//	TIMESTAMP(p)                     string in UTC, p decimals   "2038-01-19 03:14:07.999"
//	TIME(p)                          string, p decimals          "-838:59:59.000000", "100:00:00"
//	CHAR, VARCHAR, *TEXT             string (UTF-8)              "Grüße €"
//	BINARY, VARBINARY, *BLOB         string, base64 of bytes     "YWIAAA==" (BINARY(4) 'ab')
//	text types in charset binary     string, base64 of bytes
//	ENUM                             string, the member          "a,b"; "" for the invalid value (index 0),
//	                                                             or 0 (a number) where "" is a member
//	SET                              string, members joined      "a,c"; "" for the empty set
//	                                 by commas in definition
//	                                 order
//	JSON (MySQL)                     the JSON document itself    {"big":18446744073709551617}
//	JSON (MariaDB: a LONGTEXT)       string, the exact text      "{\"big\": 18446744073709551617}"
//	GEOMETRY, POINT, ...             string, base64 of the       "AAAAAAEBAAAAAAAAAAAA8D8AAAAAAAAAQA=="
//	                                 internal value (4-byte
//	                                 SRID + WKB)
//
// Details that make the two sources agree and the replay exact:
//
//   - Integers: without binlog_row_metadata go-mysql yields signed Go
//     values for unsigned columns; they are reinterpreted at the column's
//     width (MEDIUMINT is 24 bits: int32(-1) is 16777215). The JSON
//     number keeps all 20 digits of a BIGINT UNSIGNED; decode it with
//     UseNumber.
//   - DECIMAL is never a float. go-mysql's text and the server's are both
//     rewritten to exactly Scale decimals, without rounding.
//   - FLOAT is widened without binary noise: the shortest text of the
//     float32 parsed as a float64, so 1.1 stays 1.1. MariaDB prints FLOAT
//     with six significant digits, so the snapshot reads FLOAT and DOUBLE
//     through SelectExpr's CAST(... AS DOUBLE). ToSQL sends the float32's
//     exact widening (the server range-checks before rounding). Negative
//     zero becomes 0: MariaDB prints -0 as "0" and DOUBLE never stores it.
//   - Temporal values are text, so zero dates and TIME beyond a day
//     survive; both sources are padded to exactly the column's fractional
//     digits (go-mysql prints "00:00:00" for a zero TIME(6)). TIMESTAMP is
//     in UTC: the binlog reader prints it in UTC and the snapshot and sink
//     sessions run with time_zone '+00:00'.
//   - Text is converted to UTF-8 from the column's character set: utf8mb3,
//     utf8mb4 and ascii are validated; latin1 is MySQL's Windows-1252 with
//     its five holes mapped to C1 controls; latin2, latin5, latin7, greek,
//     hebrew, cp850, cp852, cp866, cp1250, cp1251, cp1256, cp1257, koi8r,
//     koi8u and macroman use tables checked byte for byte against MariaDB;
//     ucs2, utf16, utf16le and utf32 are decoded strictly. A byte with no
//     mapping, invalid UTF-8, or another character set (big5, sjis, gbk,
//     ...) is an error: the server would print '?', which is not the value.
//     The snapshot session's character set is utf8mb4, so the server
//     converts and FromText only validates.
//   - BINARY(n) is padded back to n bytes: the binlog drops its trailing
//     zero bytes. An empty BLOB is "" (never null).
//   - ENUM and SET arrive from the binlog as an index and a bitmask and are
//     mapped through the members from COLUMN_TYPE, which may contain commas
//     and quotes. ToSQL checks the member: a non-strict replica would turn
//     an unknown value into the empty string silently. The invalid ENUM value (index 0)
//     can only be written back by a non-strict session.
//   - MariaDB stores JSON as LONGTEXT: information_schema reports
//     "longtext", the binlog carries the text, and it is encoded as text,
//     byte for byte. A column whose DATA_TYPE is "json" (MySQL) holds a
//     parsed document, so it is encoded as the document (json.RawMessage,
//     compacted, key order and number text kept). A MySQL JSON document
//     that is the literal null cannot be told from SQL NULL in the
//     envelope.
//
// # Invariants
//
//   - Fail closed: a value that does not fit its column, an ENUM index past
//     the members, invalid text, an unknown character set or an unsupported
//     type (MariaDB's UUID, INET4, INET6, VECTOR) is an error that names
//     the column and its type (ErrInvalid, ErrUnsupported). Nothing is
//     replaced, rounded or truncated.
//   - The results never alias their inputs: go-mysql's strings and slices
//     point into the event buffer, the snapshot's sql.RawBytes into the
//     driver's.
//
// # Sessions
//
// The snapshot and the sink connect with go-sql-driver/mysql DSN
// parameters time_zone=%27%2B00%3A00%27 and charset=utf8mb4, and without
// parseTime (temporal values must stay text). The sink should also set
// sql_mode without NO_ZERO_DATE and NO_ZERO_IN_DATE (zero dates are data),
// with NO_AUTO_VALUE_ON_ZERO (an AUTO_INCREMENT 0 is data) and, to fail
// instead of truncating, with STRICT_ALL_TABLES, at the price of rows that
// hold the invalid ENUM value; ALLOW_INVALID_DATES if the source allows
// them. Prepared statements and interpolateParams=true both store the
// identical value.
package value
