package main

import (
	"database/sql"
	"path/filepath"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
)

// parseBaseline parses the source's binlog files, as recorded on disk,
// with go-mysql's BinlogParser alone, decoding every row with the options
// sluice's reader gives its syncer (pkg/value.ConfigureSyncer), and returns
// the row changes found (an UPDATE's before and after images count as one)
// and the rows per second of the parse. It is the ceiling of sluice's
// reader, which parses the same stream and also converts, encodes and
// publishes each row. The best of three parses counts (the machine is
// shared; the files are in the page cache after the first).
func parseBaseline(src *server) (rows int64, rate float64, err error) {
	files, _, err := binlogFiles(src.db)
	if err != nil {
		return 0, 0, err
	}
	for range 3 {
		n, r, err := parseFiles(src, files)
		if err != nil {
			return 0, 0, err
		}
		rows, rate = n, max(rate, r)
	}
	return rows, rate, nil
}

// parseFiles parses files once and returns the row changes and rows/s.
func parseFiles(src *server, files []string) (rows int64, rate float64, err error) {
	p := replication.NewBinlogParser()
	p.SetFlavor("mariadb")
	p.SetUseDecimal(false)
	p.SetParseTime(false)
	p.SetTimestampStringLocation(time.UTC)
	p.SetUseFloatWithTrailingZero(false)
	p.SetRenderJSONAsMySQLText(true)
	start := time.Now()
	for _, f := range files {
		err := p.ParseFile(filepath.Join(src.Dir, "binlog", f), 0, func(e *replication.BinlogEvent) error {
			re, ok := e.Event.(*replication.RowsEvent)
			if !ok {
				return nil
			}
			switch e.Header.EventType {
			case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
				replication.PARTIAL_UPDATE_ROWS_EVENT, replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1:
				rows += int64(len(re.Rows) / 2)
			default:
				rows += int64(len(re.Rows))
			}
			return nil
		})
		if err != nil {
			return rows, 0, err
		}
	}
	return rows, float64(rows) / time.Since(start).Seconds(), nil
}

// binlogFiles returns the names of the source's binlog files, oldest
// first, and their total size.
func binlogFiles(db *sql.DB) ([]string, int64, error) {
	rows, err := db.Query("SHOW BINARY LOGS")
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var names []string
	var total int64
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return nil, 0, err
		}
		names = append(names, name)
		total += size
	}
	return names, total, rows.Err()
}
