package dbconn

import (
	"strings"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// ParseDSN parses dsn with the driver. On failure it returns what is wrong
// without the password: the driver's message for the masked DSN, whose
// structure is the same but whose password is "***". quotes guards against
// a password that also appears outside its place.
func ParseDSN(dsn string) (*drv.Config, string) {
	cfg, err := drv.ParseDSN(dsn)
	if err == nil {
		return cfg, ""
	}
	const withheld = "the driver cannot parse it (its message is withheld because it would quote the password)"
	_, err = drv.ParseDSN(config.MaskDSN(dsn))
	if err == nil {
		return nil, withheld
	}
	i, j := config.PasswordSpan(dsn)
	if msg := strings.TrimPrefix(err.Error(), "invalid DSN: "); !quotes(msg, dsn[i:j]) {
		return nil, msg
	}
	return nil, withheld
}

// quotes reports whether msg contains secret or any 3-byte piece of it.
func quotes(msg, secret string) bool {
	n := min(3, len(secret))
	for k := 0; n > 0 && k+n <= len(secret); k++ {
		if strings.Contains(msg, secret[k:k+n]) {
			return true
		}
	}
	return false
}

// CheckDSN checks the dsn of the connector in s, a MySQL connector's: it is
// set, the driver parses it, it connects over TCP when binlog (the binlog
// reader needs TCP), and it does not set tls= beside the tls key. applied is
// what ApplyTLS appended to it, "" before. Messages show the DSN only
// through config.MaskDSN.
func CheckDSN(s *config.Scope, binlog bool, applied string) {
	dsn := s.Connector().DSN
	switch {
	case s.Skip("dsn"):
		return
	case dsn == "":
		s.Missing("dsn", `the MySQL DSN, e.g. "user:${PASSWORD}@tcp(host:3306)/"`)
		return
	}
	if cfg, msg := ParseDSN(dsn); cfg == nil {
		s.Add("dsn", "invalid DSN %q: %s; the form is user:password@tcp(host:port)/[?param=value]",
			config.MaskDSN(dsn), msg)
	} else if binlog && cfg.Net != "tcp" {
		// cfg.Net is not quoted: in a DSN the driver splits unexpectedly it
		// may hold part of the password.
		s.Add("dsn", "DSN %q does not connect over tcp(host:port); a mysql-source reads the binlog over TCP",
			config.MaskDSN(dsn))
	}
	if s.Present("tls") && dsnHasParam(strings.TrimSuffix(dsn, applied), "tls") {
		s.Add("tls", "the dsn sets tls= too; configure TLS in one place: remove tls= from the dsn")
	}
}

// dsnHasParam reports whether dsn's parameters (after the last '/', past
// any password) set name.
func dsnHasParam(dsn, name string) bool {
	rest := dsn[strings.LastIndexByte(dsn, '/')+1:]
	_, q, ok := strings.Cut(rest, "?")
	if !ok {
		return false
	}
	for _, kv := range strings.Split(q, "&") {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			return true
		}
	}
	return false
}
