package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
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
