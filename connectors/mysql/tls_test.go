package mysql

import (
	"errors"
	"strings"
	"testing"

	drv "github.com/go-sql-driver/mysql"

	"github.com/sluice-cdc/sluice/pkg/connector"
)

// withoutTLS returns fs without the finding about encryption, after
// checking that there is exactly one, a warning (the test servers have no
// certificate).
func withoutTLS(t *testing.T, fs []connector.Finding) []connector.Finding {
	t.Helper()
	var out []connector.Finding
	n := 0
	for _, f := range fs {
		if strings.HasPrefix(f.Subject, "tls on ") {
			n++
			if f.Severity != connector.SeverityWarn || !strings.Contains(f.Message, "not encrypted") {
				t.Errorf("tls finding on a server without a certificate: %s %s", f.Severity, f.Message)
			}
			continue
		}
		out = append(out, f)
	}
	if n != 1 {
		t.Errorf("%d tls findings, want 1", n)
	}
	return out
}

func TestTLSHint(t *testing.T) {
	for _, tc := range []struct {
		err  error
		cfg  *drv.Config
		want string
	}{
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), nil, "tls.ca"},
		{errors.New("tls: failed to verify certificate: x509: certificate is valid for db1, not db2"), nil, "tls.server_name"},
		{drv.ErrNoTLS, nil, "offers no TLS"},
		{&drv.MySQLError{Number: 1045, Message: "Access denied"}, &drv.Config{}, "require_secure_transport"},
		{&drv.MySQLError{Number: 1045, Message: "Access denied"}, nil, ""},
		{errors.New("dial tcp: connection refused"), nil, ""},
	} {
		if got := tlsHint(tc.err, tc.cfg); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("tlsHint(%v) = %q, want one containing %q", tc.err, got, tc.want)
		}
	}
}
