package dbconn

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// minRetentionSeconds: binlogs purged sooner than this leave little time to
// bring a stopped source back before its position is gone.
const minRetentionSeconds = 86400

// Replica is a replica or binlog reader registered with a server.
type Replica struct {
	ID   uint32 // its server_id
	From string // where it connects from, for messages
}

// Replicas lists the replicas registered with the server: SHOW
// REPLICAS (MySQL 8.0.22+), else SHOW SLAVE HOSTS (MariaDB, older MySQL).
func Replicas(ctx context.Context, db *sql.DB) ([]Replica, error) {
	rows, err := db.QueryContext(ctx, "SHOW REPLICAS")
	if err != nil {
		if rows, err = db.QueryContext(ctx, "SHOW SLAVE HOSTS"); err != nil {
			return nil, err
		}
	}
	defer rows.Close()
	var out []Replica
	for rows.Next() {
		vals, err := sqlscan.Named(rows)
		if err != nil {
			return nil, err
		}
		var r Replica
		var host, port string
		for col, v := range vals {
			switch strings.ToLower(col) {
			case "server_id":
				id, _ := strconv.ParseUint(v.String, 10, 32)
				r.ID = uint32(id)
			case "host":
				host = v.String
			case "port":
				port = v.String
			}
		}
		r.From = "host " + strconv.Quote(host) + " (port " + port + ")"
		out = append(out, r)
	}
	return out, rows.Err()
}

// CheckRetention warns when binlogs are never purged (disk grows) or purged
// so soon that a stopped source may find its position gone.
func CheckRetention(ctx context.Context, c *Checker, db *sql.DB) {
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_expire_logs_seconds', 'expire_logs_days')")
	if err != nil {
		c.Add(connector.SeverityWarn, c.On("binlog retention"), fmt.Sprintf("cannot read it: %v", err), "")
		return
	}
	defer rows.Close()
	var secs, days float64
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			c.Add(connector.SeverityWarn, c.On("binlog retention"), fmt.Sprintf("cannot read it: %v", err), "")
			return
		}
		f, _ := strconv.ParseFloat(v, 64)
		if name == "binlog_expire_logs_seconds" {
			secs = f
		} else {
			days = f
		}
	}
	if secs == 0 {
		secs = days * 86400
	}
	const fix = "SET GLOBAL binlog_expire_logs_seconds = 604800; and my.cnf [mysqld] binlog_expire_logs_seconds=604800 (7 days; expire_logs_days=7 on MariaDB before 10.6)"
	switch {
	case secs <= 0:
		c.Add(connector.SeverityWarn, c.On("binlog retention"), "binlogs are never purged: fine for sluice, but the disk fills unless someone purges them", fix)
	case secs < minRetentionSeconds:
		c.Add(connector.SeverityWarn, c.On("binlog retention"),
			fmt.Sprintf("binlogs are purged after %s: a source stopped longer than that loses its position and must snapshot again", fmtDuration(secs)), fix)
	default:
		c.Add(connector.SeverityOK, c.On("binlog retention"), "binlogs kept "+fmtDuration(secs), "")
	}
}

func fmtDuration(secs float64) string {
	if secs >= 86400 {
		return strconv.FormatFloat(secs/86400, 'f', -1, 64) + " days"
	}
	return (time.Duration(secs) * time.Second).String()
}
