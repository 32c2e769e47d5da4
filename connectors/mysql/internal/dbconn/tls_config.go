package dbconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	drv "github.com/go-sql-driver/mysql"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// TLSConfig returns the crypto/tls configuration of a MySQL connection in
// t.Mode, and whether the driver may fall back to plaintext (preferred). It
// returns nil for disabled. required and preferred do not verify the
// server; verify-ca verifies the chain but not the name; verify-identity
// both (the driver fills in the host as ServerName when t.ServerName is
// empty).
func TLSConfig(t *config.TLS) (tc *tls.Config, fallback bool, err error) {
	if t.Mode == config.TLSDisabled {
		return nil, false, nil
	}
	if tc, err = t.ClientConfig(); err != nil {
		return nil, false, err
	}
	switch t.Mode {
	case config.TLSPreferred, config.TLSRequired, "":
		tc.InsecureSkipVerify = true
	case config.TLSVerifyCA:
		roots := tc.RootCAs
		tc.InsecureSkipVerify = true // the chain is checked below, the name is not
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots)
		}
	case config.TLSVerifyIdentity:
	default:
		return nil, false, fmt.Errorf("tls.mode %q: use %s or %s", t.Mode,
			strings.Join(config.TLSModes[:len(config.TLSModes)-1], ", "), config.TLSModes[len(config.TLSModes)-1])
	}
	return tc, t.Mode == config.TLSPreferred || t.Mode == "", nil
}

// verifyChain checks that the certificates raw (leaf first) chain to roots
// (the system's when nil), whatever name the leaf carries.
func verifyChain(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("the server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return fmt.Errorf("server certificate: %w", err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err
}

// tlsSeq numbers the TLS configurations registered with the MySQL driver.
var tlsSeq atomic.Int64

// ApplyTLS registers the connector's TLS configuration with the MySQL
// driver and names it in the connector's DSN (tls=<name>, plus
// allowFallbackToPlaintext=true for preferred; tls=false for disabled), so
// every connection opened from the DSN — SQL pools and, through the parsed
// DSN, the binlog reader — uses it. A DSN that already sets tls= is kept as
// written (CheckDSN refuses it together with a tls key). *applied records
// what was appended, for CheckDSN; calling ApplyTLS again changes nothing.
// The mysql connector types call it from their config's Prepare, which the
// commands call once after Load, before opening connections.
func ApplyTLS(c *config.Connector, applied *string) error {
	if *applied != "" || dsnHasParam(c.DSN, "tls") {
		return nil
	}
	tc, fallback, err := TLSConfig(&c.TLS)
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	param := "tls=false"
	if tc != nil {
		name := fmt.Sprintf("sluice-%d", tlsSeq.Add(1))
		if err := drv.RegisterTLSConfig(name, tc); err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		param = "tls=" + name
		if fallback {
			param += "&allowFallbackToPlaintext=true"
		}
	}
	sep := "?"
	if strings.Contains(c.DSN, "?") {
		sep = "&"
	}
	*applied = sep + param
	c.DSN += *applied
	return nil
}
