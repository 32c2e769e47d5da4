// Package keyset is the one home of keyset pagination over a table's
// primary key: the WHERE clause that starts after a key (AfterKey,
// ExpandAfterKey), the SQL arguments of key values in the server's text
// form (Arg, SQLArg), and the chunk reader the snapshots copy tables with
// (Reader: one SELECT ... ORDER BY key LIMIT n a chunk, resumable after
// any key). In: a table definition and a key. Out: rows as envelope values
// and the raw key of the last one. The sink's range deletes and verify's
// chunk checksums build their ranges with the same helpers.
package keyset
