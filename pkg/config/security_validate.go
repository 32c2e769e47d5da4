package config

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// minTokenLen is the shortest admin.token accepted: a token is a bearer
// credential, so it must not be guessable.
const minTokenLen = 16

// applySecurityDefaults sets each connector's TLS mode to DefaultTLSMode when
// absent and makes every TLS file path absolute, relative to the config
// file's directory.
func (c *Config) applySecurityDefaults(unset func(path string, zero bool) bool) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = resolveDir(c.Path, *p)
		}
	}
	absTLS := func(t *TLS) { abs(&t.CA); abs(&t.Cert); abs(&t.Key) }
	absServer := func(t *ServerTLS) { abs(&t.Cert); abs(&t.Key); abs(&t.ClientCA) }
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		defaultStr(&cn.TLS.Mode, DefaultTLSMode, unset(fmt.Sprintf("connectors[%d].tls.mode", i), cn.TLS.Mode == ""))
		absTLS(&cn.TLS)
	}
	if c.Kafka.TLS != nil {
		absTLS(c.Kafka.TLS)
	}
	if c.Kafka.Embedded.TLS != nil {
		absServer(c.Kafka.Embedded.TLS)
	}
	if c.Admin.TLS != nil {
		absServer(c.Admin.TLS)
	}
}

// security checks the TLS, SASL and token keys. Messages name files and
// keys, never a password or token.
func (v *validator) security(c *Config) {
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		p := fmt.Sprintf("connectors[%d].tls", i)
		v.oneOf(p+".mode", cn.TLS.Mode, TLSModes...)
		v.clientTLS(p, &cn.TLS)
	}
	if c.Kafka.TLS != nil {
		v.clientTLS("kafka.tls", c.Kafka.TLS)
	}
	if c.Kafka.SASL != nil {
		v.sasl("kafka.sasl", c.Kafka.SASL)
	}
	if t := c.Kafka.Embedded.TLS; t != nil {
		v.serverTLS("kafka.embedded.tls", t)
	}
	for i := range c.Kafka.Embedded.Users {
		v.sasl(fmt.Sprintf("kafka.embedded.users[%d]", i), &c.Kafka.Embedded.Users[i])
	}
	if t := c.Admin.TLS; t != nil {
		v.serverTLS("admin.tls", t)
	}
	if p := "admin.token"; !v.skip(p) && v.present(p) && len(c.Admin.Token) < minTokenLen {
		v.r.add(p, "is shorter than %d characters; use a random token, e.g. from `openssl rand -hex 32`, "+
			"and write it as ${ADMIN_TOKEN} or ${file:/path}", minTokenLen)
	}
}

// clientTLS checks the files of a client TLS mapping.
func (v *validator) clientTLS(p string, t *TLS) {
	v.pemFile(p+".ca", t.CA)
	if v.pairPresent(p, t.Cert, t.Key) {
		v.keyPair(p, t.Cert, t.Key)
	}
}

// serverTLS checks a listener's certificate, key and client CA.
func (v *validator) serverTLS(p string, t *ServerTLS) {
	for _, k := range []struct{ key, val string }{{"cert", t.Cert}, {"key", t.Key}} {
		if k.val == "" && !v.skip(p+"."+k.key) {
			v.missing(p+"."+k.key, "the PEM file of the server certificate ("+p+".cert) and its key ("+p+".key)")
		}
	}
	if t.Cert != "" && t.Key != "" {
		v.keyPair(p, t.Cert, t.Key)
	}
	v.pemFile(p+".client_ca", t.ClientCA)
}

// pairPresent reports whether both of cert and key are set, and reports the
// one missing when only one is.
func (v *validator) pairPresent(p, cert, key string) bool {
	switch {
	case cert != "" && key == "" && !v.skip(p+".key"):
		v.r.add(p+".key", "required with %s.cert; set the PEM file of the client certificate's private key", p)
	case key != "" && cert == "" && !v.skip(p+".cert"):
		v.r.add(p+".cert", "required with %s.key; set the PEM file of the client certificate", p)
	}
	return cert != "" && key != ""
}

// pemFile checks that a CA file exists, is readable and holds a certificate.
func (v *validator) pemFile(p, path string) {
	if path == "" || v.skip(p) {
		return
	}
	if _, err := loadPool(path); err != nil {
		v.r.add(p, "%s; give a readable PEM file of CA certificates", fileErr(err))
	}
}

// keyPair checks that cert and key load and belong together.
func (v *validator) keyPair(p, cert, key string) {
	if v.skip(p+".cert") || v.skip(p+".key") {
		return
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		v.r.add(p+".cert", "%s with %s.key: %s; give readable PEM files of a certificate and its own private key",
			cert, p, fileErr(err))
	}
}

// fileErr shortens an error about a file for a message.
func fileErr(err error) string {
	if os.IsNotExist(err) {
		return strings.Replace(err.Error(), "open ", "", 1)
	}
	return err.Error()
}

// sasl checks one SASL credential.
func (v *validator) sasl(p string, s *SASL) {
	switch k := p + ".mechanism"; {
	case v.skip(k):
	case s.Mechanism == "":
		v.missing(k, orList(SASLMechanisms))
	default:
		v.oneOf(k, s.Mechanism, SASLMechanisms...)
	}
	if k := p + ".username"; s.Username == "" && !v.skip(k) {
		v.missing(k, "the SASL user name")
	}
	if k := p + ".password"; s.Password == "" && !v.skip(k) {
		v.missing(k, "the SASL password as ${VAR} or ${file:/path}")
	}
}
