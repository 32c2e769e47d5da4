package dbconn

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Checker collects the findings of one connector's Check.
type Checker struct {
	Name     string
	Addr     string
	Findings []connector.Finding
}

func (c *Checker) Add(sev connector.Severity, subject, msg, fix string) {
	c.Findings = append(c.Findings, connector.Finding{Connector: c.Name, Severity: sev, Subject: subject, Message: msg, Fix: fix})
}

// on names a subject on this connector's server: "binlog_format on 127.0.0.1:3306".
func (c *Checker) On(what string) string { return what + " on " + c.Addr }

// connect opens a pool on dsn and records the outcome. It returns nil after
// recording why when the server cannot be used: a bad DSN or refused
// credentials are errors (to fix), an unreachable server is unknown (the
// check could not run).
func (c *Checker) Connect(ctx context.Context, dsn string, sink bool) *sql.DB {
	cfg, err := drv.ParseDSN(dsn)
	if err == nil {
		c.Addr = cfg.Addr
	} else {
		c.Add(connector.SeverityError, "dsn "+config.MaskDSN(dsn), "cannot be parsed", "correct the dsn: user:password@tcp(host:port)/")
		return nil
	}
	open := dsn
	if sink {
		open = WithSinkParams(dsn)
	}
	db, _, err := Open(ctx, open, 2)
	if err == nil {
		c.checkTLS(ctx, db, cfg)
		return db
	}
	var me *drv.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1044, 1049, 1698:
			c.Add(connector.SeverityError, c.On("login"), me.Error()+tlsHint(err, cfg), "correct the user, password or database in dsn, or create the user (CREATE USER ... IDENTIFIED BY ...)")
			return nil
		}
	}
	if hint := tlsHint(err, cfg); hint != "" {
		c.Add(connector.SeverityError, c.On("tls"), strings.TrimPrefix(err.Error(), "connect to "+c.Addr+": "), "see the parenthesis: change the connector's tls keys or the server's certificate")
		return nil
	}
	c.Add(connector.SeverityUnknown, c.On("connect"), "unreachable: "+strings.TrimPrefix(err.Error(), "connect to "+c.Addr+": "),
		"start the server, or correct host:port in dsn ("+config.MaskDSN(dsn)+")")
	return nil
}
