// Package binlog holds what the source needs of a server's binary log
// beyond go-mysql's stream: GTID sets (ParseGTIDs, MissingGTIDs) and the
// place where a server's binlog passes a GTID set (GTIDPosition, found by
// scanning the binlog files' GTID events), which a failover to another
// server translates the recorded position into; and the dialer of the
// binlog connection (Dialer), whose read deadline moves only when it moves
// by a second or more.
package binlog
