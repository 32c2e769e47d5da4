package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// ClientConfig returns the crypto/tls configuration of a connection to
// Kafka: the server certificate is verified against t.CA (or the system's
// CAs) and must name t.ServerName, or the host dialled when it is empty. A
// client certificate is presented when t.Cert is set. The error names the
// file that could not be used.
func (t *TLS) ClientConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if err := t.load(tc); err != nil {
		return nil, err
	}
	return tc, nil
}

// load adds t's CA pool and client certificate to tc.
func (t *TLS) load(tc *tls.Config) error {
	if t.CA != "" {
		pool, err := loadPool(t.CA)
		if err != nil {
			return err
		}
		tc.RootCAs = pool
	}
	if t.Cert != "" || t.Key != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return fmt.Errorf("client certificate %s with key %s: %w", t.Cert, t.Key, err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return nil
}

// MySQLConfig returns the crypto/tls configuration of a MySQL connection in
// t.Mode, and whether the driver may fall back to plaintext (preferred). It
// returns nil for disabled. required and preferred do not verify the
// server; verify-ca verifies the chain but not the name; verify-identity
// both (the driver fills in the host as ServerName when t.ServerName is
// empty).
func (t *TLS) MySQLConfig() (tc *tls.Config, fallback bool, err error) {
	if t.Mode == TLSDisabled {
		return nil, false, nil
	}
	tc = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if err := t.load(tc); err != nil {
		return nil, false, err
	}
	switch t.Mode {
	case TLSPreferred, TLSRequired, "":
		tc.InsecureSkipVerify = true
	case TLSVerifyCA:
		roots := tc.RootCAs
		tc.InsecureSkipVerify = true // the chain is checked below, the name is not
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots)
		}
	case TLSVerifyIdentity:
	default:
		return nil, false, fmt.Errorf("tls.mode %q: use %s", t.Mode, orList(TLSModes))
	}
	return tc, t.Mode == TLSPreferred || t.Mode == "", nil
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

// ServerConfig returns the crypto/tls configuration of a listener. With
// ClientCA set, clients must present a certificate it signed.
func (t *ServerTLS) ServerConfig() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("server certificate %s with key %s: %w", t.Cert, t.Key, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if t.ClientCA != "" {
		pool, err := loadPool(t.ClientCA)
		if err != nil {
			return nil, err
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// loadPool reads a PEM file of CA certificates.
func loadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// tlsSeq numbers the TLS configurations registered with the MySQL driver.
var tlsSeq atomic.Int64

// ApplyMySQLTLS registers each connector's TLS configuration with the MySQL
// driver and names it in the connector's DSN (tls=<name>, plus
// allowFallbackToPlaintext=true for preferred; tls=false for disabled), so
// every connection opened from the DSN — SQL pools and, through the parsed
// DSN, the binlog reader — uses it. A DSN that already sets tls= is kept as
// written (validation refuses it together with a tls key). The commands call
// it once after Load, before opening connections; Load itself has no side
// effects. Calling it again changes nothing.
func (c *Config) ApplyMySQLTLS() error {
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		if cn.tlsParam != "" || dsnHasParam(cn.DSN, "tls") {
			continue
		}
		tc, fallback, err := cn.TLS.MySQLConfig()
		if err != nil {
			return fmt.Errorf("connectors[%d].tls: %w", i, err)
		}
		param := "tls=false"
		if tc != nil {
			name := fmt.Sprintf("sluice-%d", tlsSeq.Add(1))
			if err := mysql.RegisterTLSConfig(name, tc); err != nil {
				return fmt.Errorf("connectors[%d].tls: %w", i, err)
			}
			param = "tls=" + name
			if fallback {
				param += "&allowFallbackToPlaintext=true"
			}
		}
		sep := "?"
		if strings.Contains(cn.DSN, "?") {
			sep = "&"
		}
		cn.tlsParam = sep + param
		cn.DSN += cn.tlsParam
	}
	return nil
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
