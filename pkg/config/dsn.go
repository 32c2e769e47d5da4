package config

import (
	"strings"

	"github.com/go-sql-driver/mysql"
)

// MaskDSN returns dsn with its password replaced by "***", for logs and
// error messages. It never returns the password, even of a DSN that
// go-sql-driver/mysql cannot parse: where the password's end is ambiguous (a
// malformed DSN, or a password holding '/'), it masks more rather than less.
// A DSN without a password is returned unchanged.
func MaskDSN(dsn string) string {
	i, j := passwordSpan(dsn)
	if i == j {
		return dsn
	}
	return dsn[:i] + "***" + dsn[j:]
}

// passwordSpan returns the bounds [i, j) of the password in dsn, found the
// way mysql.ParseDSN finds it: the credentials end at the last '@' before the
// last '/', and the user ends at the first ':'. If there is no '/', or an '@'
// follows the last '/', the password might contain '/', so the span runs to
// the last '@' of the whole string instead.
func passwordSpan(dsn string) (int, int) {
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

// parseDSN parses dsn with mysql.ParseDSN. On failure it returns what is
// wrong without the password: the driver's message for the masked DSN, whose
// structure is the same but whose password is "***". quotes guards against a
// password that also appears outside its place.
func parseDSN(dsn string) (*mysql.Config, string) {
	cfg, err := mysql.ParseDSN(dsn)
	if err == nil {
		return cfg, ""
	}
	const withheld = "the driver cannot parse it (its message is withheld because it would quote the password)"
	_, err = mysql.ParseDSN(MaskDSN(dsn))
	if err == nil {
		return nil, withheld
	}
	i, j := passwordSpan(dsn)
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
