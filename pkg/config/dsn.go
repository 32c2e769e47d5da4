package config

import (
	"strings"
)

// MaskDSN returns dsn with its password replaced by "***", for logs and
// error messages. It never returns the password, even of a DSN that
// go-sql-driver/mysql cannot parse: where the password's end is ambiguous (a
// malformed DSN, or a password holding '/'), it masks more rather than less.
// A DSN without a password is returned unchanged.
func MaskDSN(dsn string) string {
	i, j := PasswordSpan(dsn)
	if i == j {
		return dsn
	}
	return dsn[:i] + "***" + dsn[j:]
}

// PasswordSpan returns the bounds [i, j) of the password in dsn, found the
// way mysql.ParseDSN finds it: the credentials end at the last '@' before the
// last '/', and the user ends at the first ':'. If there is no '/', or an '@'
// follows the last '/', the password might contain '/', so the span runs to
// the last '@' of the whole string instead.
func PasswordSpan(dsn string) (int, int) {
	var at int
	slash := strings.LastIndexByte(dsn, '/')
	if slash >= 0 && !strings.Contains(dsn[slash:], "@") {
		at = strings.LastIndexByte(dsn[:slash], '@')
	} else {
		at = strings.LastIndexByte(dsn, '@')
	}
	if at < 0 {
		return 0, 0
	}
	colon := strings.IndexByte(dsn[:at], ':')
	if colon < 0 {
		return 0, 0
	}
	return colon + 1, at
}
