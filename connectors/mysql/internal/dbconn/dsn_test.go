package dbconn

import "testing"

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

func TestDSNHasParam(t *testing.T) {
	for dsn, want := range map[string]bool{
		"u:p@tcp(h:1)/?tls=true":         true,
		"u:p@tcp(h:1)/db?a=b&tls=custom": true,
		"u:p?tls=x@tcp(h:1)/":            false, // in the password
		"u:p@tcp(h:1)/?tlsx=1":           false,
		"u:p@tcp(h:1)/":                  false,
	} {
		if got := dsnHasParam(dsn, "tls"); got != want {
			t.Errorf("dsnHasParam(%q) = %v, want %v", dsn, got, want)
		}
	}
}
