package dbconn

import (
	"errors"
	"strings"
	"testing"

	drv "github.com/go-sql-driver/mysql"
)

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
