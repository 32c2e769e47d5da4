package config_test

import (
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/sluice-cdc/sluice/pkg/config"
)

func TestMaskDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"repl:secret@tcp(127.0.0.1:3306)/", "repl:***@tcp(127.0.0.1:3306)/"},
		{"root@tcp(127.0.0.1:3307)/", "root@tcp(127.0.0.1:3307)/"},
		{"root:@tcp(h:1)/", "root:@tcp(h:1)/"},
		{"u:p@ss:w/rd@tcp(h:1)/db?tls=true", "u:***@tcp(h:1)/db?tls=true"},
		{"u:p?x@tcp(h:1)/db", "u:***@tcp(h:1)/db"},
		{"u:pw@unix(/var/run/mysqld.sock)/db", "u:***@unix(/var/run/mysqld.sock)/db"},
		{"u:pw@/db", "u:***@/db"},
		{"/db", "/db"},
		{"", ""},
		// Malformed: no slash, or an @ after the last slash. Mask to the last @.
		{"u:pw@tcp(h:1)", "u:***@tcp(h:1)"},
		{"u:pa/ss@tcp(h:1)", "u:***@tcp(h:1)"},
		{"u:pw@tcp(h:1)/db?x=a@b", "u:***@b"},
		{"mysql://u:pw@h:3306/db", "mysql:***@h:3306/db"},
	} {
		if got := config.MaskDSN(tc.in); got != tc.want {
			t.Errorf("MaskDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzMaskDSN checks that the masked span always covers the password as
// go-sql-driver/mysql reads it: the driver's user is dsn[:len(User)] and its
// password follows the ':' after it.
func FuzzMaskDSN(f *testing.F) {
	for _, s := range []string{"u:p@tcp(h:1)/", "u:p@/", "u:a@b@tcp(h:1)/d?x=y", "u:a/b@tcp(h)/", ":@/", "u:p/q@h/x@y/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil || cfg.Passwd == "" {
			return
		}
		start := len(cfg.User) + 1
		end := start + len(cfg.Passwd)
		if end > len(dsn) || dsn[start:end] != cfg.Passwd {
			return // the driver unescaped or normalized something; not a layout we can check
		}
		i, j := config.PasswordSpan(dsn)
		if i > start || j < end {
			t.Fatalf("PasswordSpan(%q) = [%d,%d), password is at [%d,%d)", dsn, i, j, start, end)
		}
	})
}
