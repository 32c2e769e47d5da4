package config

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
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
		if got := MaskDSN(tc.in); got != tc.want {
			t.Errorf("MaskDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMaskDSNRandomPasswords builds DSNs around passwords full of the DSN's
// own separators and checks that neither MaskDSN nor a config error shows
// them, whether the driver accepts the DSN or not.
func TestMaskDSNRandomPasswords(t *testing.T) {
	const alphabet = "ab9@/:?()=&%$#!*' \\.,;[]{}"
	rng := rand.New(rand.NewPCG(1, 2))
	forms := []string{
		"u:%s@tcp(h:3306)/", "u:%s@tcp(h:3306)/db?tls=skip-verify", "u:%s@tcp(h:3306)", "u:%s@unix(/s)/",
		"u:%s@/", "u:%s@tcp(h:3306", "u:%s@tcp(h:3306)/db?allowAllFiles=maybe", "user:%s@tcp(h:3306)/?x=%%zz",
	}
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		b.WriteString("PW")
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		b.WriteString("QZ")
		pw := b.String()
		dsn := strings.Replace(forms[i%len(forms)], "%s", pw, 1)
		if m := MaskDSN(dsn); strings.Contains(m, "PW") || strings.Contains(m, "QZ") {
			t.Fatalf("MaskDSN(%q) = %q shows the password", dsn, m)
		}
		if _, msg := parseDSN(dsn); quotes(msg, pw) {
			t.Fatalf("parseDSN(%q) message %q quotes the password", dsn, msg)
		}
		src := head + strings.Replace(srcConn, `dsn: "u:p@tcp(h:3306)/"`, `dsn: "${DSN}"`, 1)
		_, err := parse([]byte(src), "t.yaml", env("DSN="+dsn))
		if err != nil && (strings.Contains(err.Error(), "PW") || strings.Contains(err.Error(), "QZ")) {
			t.Fatalf("config error for %q shows the password:\n%v", dsn, err)
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
		i, j := passwordSpan(dsn)
		if i > start || j < end {
			t.Fatalf("passwordSpan(%q) = [%d,%d), password is at [%d,%d)", dsn, i, j, start, end)
		}
	})
}

func TestQuotes(t *testing.T) {
	for _, tc := range []struct {
		msg, secret string
		want        bool
	}{
		{"invalid bool value: hunter2", "hunter2", true},
		{"invalid bool value: ter2x", "hunter2", true},
		{"network 'u:hun' unknown", "hunter2", true},
		{"missing the slash", "hunter2", false},
		{"value: ab", "ab", true},
		{"anything", "", false},
	} {
		if got := quotes(tc.msg, tc.secret); got != tc.want {
			t.Errorf("quotes(%q, %q) = %v, want %v", tc.msg, tc.secret, got, tc.want)
		}
	}
}
