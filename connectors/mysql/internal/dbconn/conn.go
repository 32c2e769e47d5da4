package dbconn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/sqlscan"
)

// Open opens a pool on dsn with the session settings sluice relies on:
// UTC for TIMESTAMP values, utf8mb4, and no implicit type conversions by
// the driver. It checks the server answers.
func Open(ctx context.Context, dsn string, maxConns int) (*sql.DB, *drv.Config, error) {
	cfg, err := drv.ParseDSN(dsn)
	if err != nil {
		return nil, nil, &connector.Fatal{Err: fmt.Errorf("dsn %s: %w", config.MaskDSN(dsn), err)}
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	// Strict, so a value the replica cannot store is an error rather than a
	// silent coercion; zero and invalid dates stay allowed, as the source may
	// hold them; an explicit 0 in an AUTO_INCREMENT column stays 0.
	cfg.Params["sql_mode"] = "'" + SQLMode + "'"
	cfg.Params["charset"] = "utf8mb4"
	cfg.ParseTime = false
	cfg.Loc = time.UTC
	cfg.Timeout = 10 * time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(maxConns)
	db.SetConnMaxLifetime(time.Hour)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("connect to %s: %w%s", cfg.Addr, err, tlsHint(err, cfg))
	}
	return db, cfg, nil
}

// SQLMode is the sql_mode of every session Open opens.
const SQLMode = "STRICT_ALL_TABLES,ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION"

// HostPort splits the driver's address into host and port.
func HostPort(cfg *drv.Config) (string, uint16, error) {
	if cfg.Net != "tcp" {
		return "", 0, fmt.Errorf("dsn: the binlog reader needs tcp(host:port), got %s(%s)", cfg.Net, cfg.Addr)
	}
	h, p, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "", 0, fmt.Errorf("dsn address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("dsn port %q: %w", p, err)
	}
	return h, uint16(port), nil
}

// ServerInfo is what preflight learns about a source server.
type ServerInfo struct {
	Flavor   string // "mysql" or "mariadb"
	Version  string
	ServerID uint32
	UUID     string
	DomainID uint32 // MariaDB's gtid_domain_id
}

// Settings are a source server's global settings that decide whether
// its binlog can feed sluice. Run (through preflight) and Check both read
// them with readSettings and judge them with checks, so they agree.
type Settings struct {
	LogBin, Format, Image, Version string
	ServerID                       uint32
	// ReplicaOf is the primary ("host:port") this server replicates from,
	// "" when it replicates from none, "?" when it could not be read (no
	// privilege to see the replication status).
	ReplicaOf string
	// LogReplicaUpdates is log_replica_updates (log_slave_updates before
	// MySQL 8.0.26, and on MariaDB): whether the changes a replica applies
	// are written to its own binlog.
	LogReplicaUpdates string
}

// settingCheck is the verdict on one setting. Fix is set when !OK.
type settingCheck struct {
	Setting, Value, Want string
	OK                   bool
	Fix                  string
}

// ReadSettings reads the global binlog settings, the version and server_id.
func ReadSettings(ctx context.Context, db *sql.DB) (*Settings, error) {
	var s Settings
	row := db.QueryRowContext(ctx, "SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image, VERSION(), @@GLOBAL.server_id")
	if err := row.Scan(&s.LogBin, &s.Format, &s.Image, &s.Version, &s.ServerID); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.log_replica_updates").Scan(&s.LogReplicaUpdates); err != nil {
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.log_slave_updates").Scan(&s.LogReplicaUpdates); err != nil {
			return nil, err
		}
	}
	s.ReplicaOf = replicaOf(ctx, db)
	return &s, nil
}

// replicaOf returns the primary db replicates from ("host:port", the first
// running or configured channel), "" when none, "?" when the replication
// status cannot be read.
func replicaOf(ctx context.Context, db *sql.DB) string {
	var rows *sql.Rows
	var err error
	for _, q := range []string{"SHOW ALL SLAVES STATUS", "SHOW REPLICA STATUS", "SHOW SLAVE STATUS"} {
		if rows, err = db.QueryContext(ctx, q); err == nil {
			break
		}
	}
	if err != nil {
		return "?"
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := sqlscan.Named(rows)
		if err != nil {
			return "?"
		}
		host, port := vals["Master_Host"].String, vals["Master_Port"].String
		if host == "" {
			host, port = vals["Source_Host"].String, vals["Source_Port"].String
		}
		if host != "" {
			return net.JoinHostPort(host, port)
		}
	}
	if rows.Err() != nil {
		return "?"
	}
	return ""
}

// flavor returns "mysql" or "mariadb", from the version string.
func (s *Settings) Flavor() string {
	if strings.Contains(strings.ToLower(s.Version), "mariadb") {
		return "mariadb"
	}
	return "mysql"
}

// Checks judges log_bin, binlog_format and binlog_row_image, in that
// order, and on a replica log_slave_updates.
func (s *Settings) Checks() []settingCheck {
	logBin := "OFF"
	if s.LogBin == "1" || strings.EqualFold(s.LogBin, "ON") {
		logBin = "ON"
	}
	checks := []settingCheck{
		{Setting: "log_bin", Value: logBin, Want: "ON", OK: logBin == "ON",
			Fix: "start the server with log_bin (my.cnf [mysqld] log_bin=mysql-bin)"},
		{Setting: "binlog_format", Value: s.Format, Want: "ROW", OK: strings.EqualFold(s.Format, "ROW"),
			Fix: "set binlog_format=ROW (my.cnf [mysqld] binlog_format=ROW, or SET GLOBAL binlog_format='ROW' and reconnect clients)"},
		{Setting: "binlog_row_image", Value: s.Image, Want: "FULL", OK: strings.EqualFold(s.Image, "FULL"),
			Fix: "set binlog_row_image=FULL (my.cnf [mysqld] binlog_row_image=FULL, or SET GLOBAL binlog_row_image='FULL' and reconnect clients)"},
	}
	if s.ReplicaOf != "" && s.ReplicaOf != "?" {
		// A replica that does not log what it applies has a binlog without
		// any change made on its primary: every one would be missing.
		on := s.LogReplicaUpdates == "1" || strings.EqualFold(s.LogReplicaUpdates, "ON")
		value := "OFF"
		if on {
			value = "ON"
		}
		checks = append(checks, settingCheck{Setting: "log_slave_updates", Value: value + " on a replica of " + s.ReplicaOf, Want: "ON", OK: on,
			Fix: "the changes this replica applies from " + s.ReplicaOf + " are not in its binlog, so sluice would miss every one of them: " +
				"start it with log_slave_updates=ON (MySQL 8.0.26+: log_replica_updates=ON; my.cnf [mysqld], then restart), or point the source's dsn at the primary"})
	}
	return checks
}

// flavorMismatch returns why the configured flavor does not fit the
// server, or "" when it does.
func (s *Settings) FlavorMismatch(addr, want string) string {
	if want == "" || want == "auto" || want == s.Flavor() {
		return ""
	}
	return fmt.Sprintf("source %s is %s (%s) but flavor: %s is configured; set flavor: %s or auto", addr, s.Flavor(), s.Version, want, s.Flavor())
}

// Preflight refuses a server that cannot feed a correct change stream, with
// the setting to change in the error.
func Preflight(ctx context.Context, db *sql.DB, addr, wantFlavor string) (*ServerInfo, error) {
	set, err := ReadSettings(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("source %s: read server settings: %w", addr, err)
	}
	info := &ServerInfo{Flavor: set.Flavor(), Version: set.Version, ServerID: set.ServerID}
	if msg := set.FlavorMismatch(addr, wantFlavor); msg != "" {
		return nil, &connector.Fatal{Err: errors.New(msg)}
	}
	var problems []string
	for _, c := range set.Checks() {
		if !c.OK {
			problems = append(problems, fmt.Sprintf("%s is %s: %s", c.Setting, c.Value, c.Fix))
		}
	}
	if len(problems) > 0 {
		return nil, &connector.Fatal{Err: fmt.Errorf("source %s cannot be captured:\n  %s", addr, strings.Join(problems, "\n  "))}
	}
	if info.Flavor == "mysql" {
		_ = db.QueryRowContext(ctx, "SELECT @@server_uuid").Scan(&info.UUID)
	} else {
		_ = db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_domain_id").Scan(&info.DomainID)
	}
	return info, nil
}

// QuoteIdent quotes a MySQL identifier with backticks.
func QuoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// QuoteTable quotes db.table.
func QuoteTable(db, table string) string { return QuoteIdent(db) + "." + QuoteIdent(table) }

// WithSinkParams turns off foreign-key checks on the replica session:
// rows arrive in source commit order, but cascades are not in the binlog
// and checks would reject orders the source accepted (and the sink merges
// rows per table, sink_merge.go). It also has the driver interpolate
// arguments into the statement text (one round trip per statement instead
// of a prepare, an execute and a close), unless the DSN sets
// interpolateParams itself.
func WithSinkParams(dsn string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "foreign_key_checks=0"
	if !strings.Contains(dsn, "interpolateParams=") {
		dsn += "&interpolateParams=true"
	}
	return dsn
}
