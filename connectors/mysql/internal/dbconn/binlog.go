package dbconn

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// BinlogFile is one row of SHOW BINARY LOGS.
type BinlogFile struct {
	Name string
	Size int64
}

// BinaryLogs returns the server's binlog files, oldest first. The size of
// the last one is the server's current end of binlog.
func BinaryLogs(ctx context.Context, db *sql.DB) ([]BinlogFile, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("SHOW BINARY LOGS: %w", err)
	}
	defer rows.Close()
	var out []BinlogFile
	for rows.Next() {
		vals, err := sqlscan.Row(rows) // MySQL 8 adds Encrypted
		if err != nil {
			return nil, err
		}
		f := BinlogFile{Name: vals[0].String}
		if len(vals) > 1 {
			fmt.Sscan(vals[1].String, &f.Size)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("SHOW BINARY LOGS returned nothing: binary logging is off")
	}
	return out, nil
}

// BinlogBehind returns the bytes of binlog from at to the end of logs, or
// -1 when at's file is no longer on the server (purged) or unknown.
func BinlogBehind(logs []BinlogFile, at event.Position) int64 {
	var n int64
	found := false
	for _, f := range logs {
		switch {
		case f.Name == at.File:
			found = true
			n += max(f.Size-int64(at.Pos), 0)
		case found:
			n += f.Size
		}
	}
	if !found {
		return -1
	}
	return n
}

// BinlogRetention returns the server's binlog expiry in seconds, 0 when
// binlogs are never purged automatically. binlog_expire_logs_seconds wins
// when set (MySQL 8, MariaDB 10.6+), else expire_logs_days.
func BinlogRetention(ctx context.Context, db *sql.DB) (float64, error) {
	var secs sql.NullFloat64
	errSecs := db.QueryRowContext(ctx, "SELECT @@binlog_expire_logs_seconds").Scan(&secs)
	if errSecs == nil && secs.Float64 > 0 {
		return secs.Float64, nil
	}
	var days sql.NullFloat64
	errDays := db.QueryRowContext(ctx, "SELECT @@expire_logs_days").Scan(&days)
	if errDays == nil {
		return days.Float64 * 86400, nil
	}
	if errSecs == nil {
		return 0, nil
	}
	return 0, fmt.Errorf("read binlog_expire_logs_seconds (%v) and expire_logs_days (%v)", errSecs, errDays)
}
