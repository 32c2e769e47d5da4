package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	drv "github.com/go-sql-driver/mysql"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// openDB opens a pool on dsn with the session settings sluice relies on:
// UTC for TIMESTAMP values, utf8mb4, and no implicit type conversions by
// the driver. It checks the server answers.
func openDB(ctx context.Context, dsn string, maxConns int) (*sql.DB, *drv.Config, error) {
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
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'"
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
		return nil, nil, fmt.Errorf("connect to %s: %w", cfg.Addr, err)
	}
	return db, cfg, nil
}

// hostPort splits the driver's address into host and port.
func hostPort(cfg *drv.Config) (string, uint16, error) {
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

// serverInfo is what preflight learns about a source server.
type serverInfo struct {
	Flavor   string // "mysql" or "mariadb"
	Version  string
	ServerID uint32
	UUID     string
}

// preflight refuses a server that cannot feed a correct change stream, with
// the setting to change in the error.
func preflight(ctx context.Context, db *sql.DB, addr, wantFlavor string) (*serverInfo, error) {
	var logBin, format, image, version string
	var serverID uint32
	row := db.QueryRowContext(ctx, "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, VERSION(), @@server_id")
	if err := row.Scan(&logBin, &format, &image, &version, &serverID); err != nil {
		return nil, fmt.Errorf("source %s: read server settings: %w", addr, err)
	}
	info := &serverInfo{Flavor: "mysql", Version: version, ServerID: serverID}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		info.Flavor = "mariadb"
	}
	if wantFlavor != "" && wantFlavor != "auto" && wantFlavor != info.Flavor {
		return nil, &connector.Fatal{Err: fmt.Errorf("source %s is %s (%s) but flavor: %s is configured; set flavor: %s or auto", addr, info.Flavor, version, wantFlavor, info.Flavor)}
	}
	var problems []string
	if logBin != "1" && !strings.EqualFold(logBin, "ON") {
		problems = append(problems, "log_bin is OFF: start the server with log_bin (my.cnf [mysqld] log_bin=mysql-bin)")
	}
	if !strings.EqualFold(format, "ROW") {
		problems = append(problems, fmt.Sprintf("binlog_format is %s: set binlog_format=ROW (my.cnf [mysqld] binlog_format=ROW, or SET GLOBAL binlog_format='ROW' and reconnect clients)", format))
	}
	if !strings.EqualFold(image, "FULL") {
		problems = append(problems, fmt.Sprintf("binlog_row_image is %s: set binlog_row_image=FULL (my.cnf [mysqld] binlog_row_image=FULL)", image))
	}
	if len(problems) > 0 {
		return nil, &connector.Fatal{Err: fmt.Errorf("source %s cannot be captured:\n  %s", addr, strings.Join(problems, "\n  "))}
	}
	if info.Flavor == "mysql" {
		_ = db.QueryRowContext(ctx, "SELECT @@server_uuid").Scan(&info.UUID)
	}
	return info, nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteTable(db, table string) string { return quoteIdent(db) + "." + quoteIdent(table) }
