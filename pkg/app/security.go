package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/sluice-cdc/sluice/pkg/admin"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// kafkaOpts returns the client options of cfg's kafka.tls and kafka.sasl.
// Load already checked that the files load; should one fail now, every
// request of the client fails with the reason (never a plaintext fallback).
func kafkaOpts(cfg *config.Config) []kafka.Option {
	var sec kafka.Security
	var err error
	if t := cfg.Kafka.TLS; t != nil {
		if sec.TLS, err = t.ClientConfig(); err != nil {
			sec.Err = fmt.Errorf("kafka.tls: %w", err)
		}
	}
	if s := cfg.Kafka.SASL; s != nil && sec.Err == nil {
		if sec.SASL, err = kafka.NewSASL(s.Mechanism, s.Username, s.Password); err != nil {
			sec.Err = fmt.Errorf("kafka.sasl: %w", err)
		}
	}
	return []kafka.Option{kafka.WithSecurity(sec), kafka.WithCompression(cfg.Kafka.Compression)}
}

// embeddedSecurity fills in the embedded broker's TLS listener and users.
func embeddedSecurity(cfg *config.Config, ec *kafka.EmbeddedConfig) error {
	e := cfg.Kafka.Embedded
	if e.TLS != nil {
		tc, err := e.TLS.ServerConfig()
		if err != nil {
			return fmt.Errorf("kafka.embedded.tls: %w", err)
		}
		ec.TLS = tc
	}
	for _, u := range e.Users {
		ec.Users = append(ec.Users, kafka.User{Mechanism: u.Mechanism, Username: u.Username, Password: u.Password})
	}
	return nil
}

// adminSecurity sets up admin.tls on srv.
func adminSecurity(cfg *config.Config, srv *admin.Server) error {
	if cfg.Admin.TLS == nil {
		return nil
	}
	tc, err := cfg.Admin.TLS.ServerConfig()
	if err != nil {
		return fmt.Errorf("admin.tls: %w", err)
	}
	srv.UseTLS(tc)
	return nil
}

// kafkaSecurityFix returns what to change when err is a refused SASL login
// or a failed TLS handshake with a broker, or "" for other errors.
func kafkaSecurityFix(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, kafkago.SASLAuthenticationFailed), strings.Contains(msg, "SASL Authentication Failed"),
		strings.Contains(msg, "during SASL"):
		return "correct kafka.sasl.username, kafka.sasl.password and kafka.sasl.mechanism (they must match a user of the brokers)"
	case strings.Contains(msg, "x509: certificate signed by unknown authority"),
		strings.Contains(msg, "certificate signed by"):
		return "set kafka.tls.ca to the CA that signed the brokers' certificates"
	case strings.Contains(msg, "x509: certificate is valid for"), strings.Contains(msg, "x509: certificate is not valid for"):
		return "set kafka.tls.server_name to a name the brokers' certificates carry, or list the brokers by that name"
	case strings.Contains(msg, "tls: "), strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "check kafka.tls (TLS on a plaintext listener, or a client certificate the broker refuses)"
	}
	return ""
}

// secretFindings warns about each secret written literally in the file.
func secretFindings(cfg *config.Config) []connector.Finding {
	var out []connector.Finding
	for _, p := range cfg.LiteralSecrets() {
		out = append(out, connector.Finding{Connector: checkConfig, Severity: connector.SeverityWarn,
			Subject: p + " in " + cfg.Path,
			Message: "holds a literal password or token: it travels with every copy of the file",
			Fix:     "write it as ${VARIABLE} (from the environment) or ${file:/path} (e.g. a mounted Kubernetes secret)"})
	}
	return out
}

// adminClient returns the HTTP client that asks the admin servers of cfg's
// processes: over HTTPS when admin.tls is set, trusting the system's CAs and
// admin.tls.cert itself (so a self-signed certificate works).
func adminClient(cfg *config.Config, timeout time.Duration) *http.Client {
	hc := &http.Client{Timeout: timeout}
	if t := cfg.Admin.TLS; t != nil {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if pem, err := os.ReadFile(t.Cert); err == nil {
			pool.AppendCertsFromPEM(pem)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	return hc
}

// adminScheme returns the URL scheme prefix for hc from adminClient.
func adminScheme(hc *http.Client) string {
	if t, ok := hc.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		return "https://"
	}
	return "http://"
}
