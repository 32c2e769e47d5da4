package dbconn

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"strings"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// The TLS configuration of a connection comes from its DSN: ApplyTLS
// (tls_config.go) registers each connector's tls: settings with the driver and names them
// in the DSN (tls=<name>), so every pool opened by openDB uses them, and the
// binlog reader takes the same configuration from the parsed DSN.

// BinlogTLS returns the TLS configuration for the binlog connection: the
// SQL connection's, except in preferred mode (the driver may fall back to
// plaintext), where it is nil when the SQL session db opened is not
// encrypted, since go-mysql would insist on TLS.
func BinlogTLS(ctx context.Context, db *sql.DB, cfg *drv.Config) *tls.Config {
	if cfg == nil || cfg.TLS == nil {
		return nil
	}
	if cfg.AllowFallbackToPlaintext {
		if cipher, err := sessionCipher(ctx, db); err != nil || cipher == "" {
			return nil
		}
	}
	return cfg.TLS
}

// sessionCipher returns the TLS cipher of a session of db, "" when the
// session is not encrypted.
func sessionCipher(ctx context.Context, db *sql.DB) (string, error) {
	var name, cipher string
	err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher)
	return cipher, err
}

// checkTLS records whether the connections of db are encrypted: a warning
// when not, since the replication password and every row then cross the
// network in the clear, and when the server's certificate is not verified
// (tls.mode preferred or required), since anyone in the path can then pose
// as the server. cfg is the parsed DSN db was opened with.
func (c *Checker) checkTLS(ctx context.Context, db *sql.DB, cfg *drv.Config) {
	cipher, err := sessionCipher(ctx, db)
	unverified := cfg != nil && cfg.TLS != nil && cfg.TLS.InsecureSkipVerify && cfg.TLS.VerifyPeerCertificate == nil
	switch {
	case err != nil:
		c.Add(connector.SeverityUnknown, c.On("tls"), "cannot read Ssl_cipher: "+err.Error(), "")
	case cipher == "":
		c.Add(connector.SeverityWarn, c.On("tls"), "the connection is not encrypted: credentials and rows cross the network in the clear",
			"give the server a certificate (my.cnf [mysqld] ssl_cert=, ssl_key=, ssl_ca=) and set tls: {mode: verify-identity, ca: <CA file>} on this connector")
	case unverified:
		c.Add(connector.SeverityWarn, c.On("tls"), "encrypted ("+cipher+") but the server's certificate is not verified (tls.mode preferred or required): whoever can intercept the connection can pose as the server",
			"set tls: {mode: verify-identity, ca: <file of the CA that signed the server's certificate>} on this connector")
	default:
		c.Add(connector.SeverityOK, c.On("tls"), "encrypted ("+cipher+")", "")
	}
}

// tlsHint explains a connection error caused by TLS, with the key to change,
// or returns "". cfg is the connection's parsed DSN.
func tlsHint(err error, cfg *drv.Config) string {
	msg := err.Error()
	var me *drv.MySQLError
	switch {
	case errors.As(err, &me) && me.Number == 1045 && cfg != nil && cfg.TLS == nil:
		// MariaDB refuses an unencrypted login under require_secure_transport
		// with this generic error.
		return " (the connection was not encrypted, tls.mode: disabled: a server with require_secure_transport=ON " +
			"refuses it this way; set tls.mode to required, verify-ca or verify-identity)"
	case errors.Is(err, drv.ErrNoTLS):
		return " (the server offers no TLS: give it ssl_cert and ssl_key, or set tls.mode: preferred)"
	case errors.As(err, &me) && me.Number == 3159,
		strings.Contains(msg, "insecure transport"):
		return " (the server requires encrypted connections: set tls.mode to required, verify-ca or verify-identity)"
	case strings.Contains(msg, "certificate signed by unknown authority"),
		strings.Contains(msg, "x509: certificate signed by"):
		return " (the server's certificate is not signed by a CA in tls.ca: set tls.ca to the CA that signed it)"
	case strings.Contains(msg, "x509: certificate is valid for"),
		strings.Contains(msg, "x509: certificate is not valid for"):
		return " (the server's certificate does not name this host: set tls.server_name to a name it carries, or connect by that name)"
	case strings.Contains(msg, "tls: "):
		return " (TLS handshake failed: check tls.mode, tls.ca, tls.cert and tls.key)"
	}
	return ""
}
