package mariadbtest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// ReplicateFrom makes s a GTID replica of primary: CHANGE MASTER TO the
// primary's port as root with MASTER_USE_GTID=slave_pos, then START SLAVE.
// It returns once both replication threads run. Start s with
// Options.LogReplicaUpdates when it is to serve as a binlog source later.
func (s *Server) ReplicateFrom(ctx context.Context, primary *Server) error {
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	defer db.Close()
	for _, q := range []string{
		"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + strconv.Itoa(primary.Port) +
			", MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
		"START SLAVE",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mariadbtest: %s on %s: %w", q, s.Addr(), err)
		}
	}
	for {
		st, err := replicaStatus(ctx, db)
		if err != nil {
			return err
		}
		if st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes" {
			return nil
		}
		if e := st["Last_Error"] + st["Last_IO_Error"]; e != "" {
			return fmt.Errorf("mariadbtest: replica %s of %s: %s", s.Addr(), primary.Addr(), e)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mariadbtest: replica %s of %s did not start: %w (status %v)", s.Addr(), primary.Addr(), ctx.Err(), st)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitReplicated returns once s, a replica, has applied every transaction in
// primary's binlog at the time of the call (its @@gtid_slave_pos reached the
// primary's @@gtid_binlog_pos).
func (s *Server) WaitReplicated(ctx context.Context, primary *Server) error {
	pdb, err := sql.Open("mysql", primary.DSN(""))
	if err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	defer pdb.Close()
	var want string
	if err := pdb.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&want); err != nil {
		return fmt.Errorf("mariadbtest: gtid_binlog_pos of %s: %w", primary.Addr(), err)
	}
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	defer db.Close()
	var ok sql.NullInt64
	q := "SELECT MASTER_GTID_WAIT(?, ?)"
	for ctx.Err() == nil {
		if err := db.QueryRowContext(ctx, q, want, 1).Scan(&ok); err != nil {
			return fmt.Errorf("mariadbtest: %s on %s: %w", q, s.Addr(), err)
		}
		if ok.Valid && ok.Int64 == 0 {
			return nil
		}
		st, err := replicaStatus(ctx, db)
		if err != nil {
			return err
		}
		if e := strings.TrimSpace(st["Last_Error"] + st["Last_IO_Error"]); e != "" {
			return fmt.Errorf("mariadbtest: replica %s: %s", s.Addr(), e)
		}
	}
	return fmt.Errorf("mariadbtest: replica %s did not reach %s: %w", s.Addr(), want, ctx.Err())
}

// replicaStatus returns SHOW SLAVE STATUS as column -> value (NULL as "").
func replicaStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("mariadbtest: SHOW SLAVE STATUS: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	if !rows.Next() {
		return out, rows.Err()
	}
	vals, err := sqlscan.Named(rows)
	if err != nil {
		return nil, err
	}
	for c, v := range vals {
		out[c] = v.String
	}
	return out, rows.Err()
}
