package dbconn

import (
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/certtest"
)

func TestTLSConfig(t *testing.T) {
	ca := certtest.NewCA(t, t.TempDir(), "ca")
	for _, tc := range []struct {
		tls      config.TLS
		nilCfg   bool
		fallback bool
		skip     bool // InsecureSkipVerify
	}{
		{tls: config.TLS{Mode: config.TLSDisabled}, nilCfg: true},
		{tls: config.TLS{Mode: config.TLSPreferred}, fallback: true, skip: true},
		{tls: config.TLS{Mode: config.TLSRequired}, skip: true},
		{tls: config.TLS{Mode: config.TLSVerifyCA, CA: ca.CertFile}, skip: true}, // the chain is checked by VerifyPeerCertificate
		{tls: config.TLS{Mode: config.TLSVerifyIdentity, CA: ca.CertFile, ServerName: "db"}},
	} {
		got, fallback, err := TLSConfig(&tc.tls)
		switch {
		case err != nil:
			t.Errorf("%s: %v", tc.tls.Mode, err)
		case (got == nil) != tc.nilCfg || fallback != tc.fallback:
			t.Errorf("%s: config %v, fallback %v", tc.tls.Mode, got, fallback)
		case got != nil && got.InsecureSkipVerify != tc.skip:
			t.Errorf("%s: InsecureSkipVerify = %v", tc.tls.Mode, got.InsecureSkipVerify)
		case tc.tls.Mode == config.TLSVerifyCA && got.VerifyPeerCertificate == nil:
			t.Errorf("verify-ca does not verify the chain")
		}
	}
	if _, _, err := TLSConfig(&config.TLS{Mode: "bogus"}); err == nil || !strings.Contains(err.Error(), "use disabled, preferred, required, verify-ca or verify-identity") {
		t.Errorf("unknown mode: %v", err)
	}
}
