package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// TLS modes of a connector's connections to its server (connectors[].tls.mode),
// weakest first; each type maps them onto its driver (dbconn.TLSConfig for
// MySQL).
const (
	TLSDisabled       = "disabled"        // never encrypt
	TLSPreferred      = "preferred"       // encrypt when the server offers TLS, else plaintext; no verification
	TLSRequired       = "required"        // encrypt or fail; the certificate is not verified
	TLSVerifyCA       = "verify-ca"       // encrypt, and the certificate must chain to tls.ca
	TLSVerifyIdentity = "verify-identity" // verify-ca, and the certificate must name the host (or tls.server_name)
)

// TLSModes lists the connector TLS modes, weakest first.
var TLSModes = []string{TLSDisabled, TLSPreferred, TLSRequired, TLSVerifyCA, TLSVerifyIdentity}

// DefaultTLSMode is the TLS mode of a connector without tls.mode.
const DefaultTLSMode = TLSPreferred

// SASL mechanisms sluice speaks to Kafka (kafka.sasl.mechanism).
var SASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// TLS is the client side of a TLS connection: a connector's to its server
// (connectors[].tls, Mode set) or sluice's to Kafka (kafka.tls, Mode unused).
// File paths are absolute after ApplyDefaults (relative ones are relative to
// the config file's directory).
type TLS struct {
	Mode       string // connectors only: one of TLSModes; DefaultTLSMode when absent
	CA         string // PEM file of the CAs that sign the server's certificate; empty: the system's
	Cert       string // PEM file of the client certificate, presented when the server asks; with Key
	Key        string // PEM file of the client certificate's private key; with Cert
	ServerName string // name the server certificate must carry; empty: the host dialled
}

// SASL is a Kafka SASL credential: sluice's own (kafka.sasl), or a user the
// embedded broker accepts (kafka.embedded.users[]).
type SASL struct {
	Mechanism string // one of SASLMechanisms
	Username  string
	Password  string // a secret: never print it; write it as ${VAR} or ${file:/path}
}

// ServerTLS is the server side of TLS: the embedded broker's listener
// (kafka.embedded.tls) or the admin HTTP server's (admin.tls).
type ServerTLS struct {
	Cert     string // PEM file of the server certificate (chain); required
	Key      string // PEM file of its private key; required
	ClientCA string // embedded broker only: PEM file of the CAs of client certificates; set, a client must present one
}

// tlsKeys decodes a client TLS mapping into t; mode adds the mode key (a
// connector's).
func (d *Decoder) tlsKeys(path string, n *yaml.Node, t *TLS, mode bool) {
	k := Keys{
		"ca":          d.Str(&t.CA),
		"cert":        d.Str(&t.Cert),
		"key":         d.Str(&t.Key),
		"server_name": d.Str(&t.ServerName),
	}
	if mode {
		k["mode"] = d.Str(&t.Mode)
	}
	d.mapping(path, n, k, nil)
}

// clientTLSInto decodes kafka.tls; a present mapping (even {}) turns TLS on.
func (d *Decoder) clientTLSInto(dst **TLS) Handler {
	return func(p string, v *yaml.Node) {
		*dst = &TLS{}
		d.tlsKeys(p, v, *dst, false)
	}
}

func (d *Decoder) saslInto(dst **SASL) Handler {
	return func(p string, v *yaml.Node) {
		*dst = &SASL{}
		d.saslKeys(p, v, *dst)
	}
}

func (d *Decoder) saslKeys(p string, v *yaml.Node, s *SASL) {
	d.mapping(p, v, Keys{
		"mechanism": d.Str(&s.Mechanism),
		"username":  d.Str(&s.Username),
		"password":  d.Str(&s.Password),
	}, nil)
}

func (d *Decoder) serverTLSInto(dst **ServerTLS, clientCA bool) Handler {
	return func(p string, v *yaml.Node) {
		t := &ServerTLS{}
		*dst = t
		k := Keys{"cert": d.Str(&t.Cert), "key": d.Str(&t.Key)}
		if clientCA {
			k["client_ca"] = d.Str(&t.ClientCA)
		}
		d.mapping(p, v, k, nil)
	}
}

// usersInto decodes kafka.embedded.users, a list of SASL credentials.
func (d *Decoder) usersInto(dst *[]SASL) Handler {
	return func(p string, v *yaml.Node) {
		r := resolve(v)
		if r.Kind != yaml.SequenceNode {
			d.wrongType(p, v, "a list of users ({mechanism, username, password})")
			return
		}
		*dst = make([]SASL, len(r.Content))
		for i, e := range r.Content {
			ep := fmt.Sprintf("%s[%d]", p, i)
			d.m.lines[ep] = e.Line
			d.saslKeys(ep, e, &(*dst)[i])
		}
	}
}

// adminKeys decodes the admin mapping.
func (d *Decoder) adminKeys(p string, v *yaml.Node, a *Admin) {
	d.mapping(p, v, Keys{
		"listen": d.Str(&a.Listen),
		"tls":    d.serverTLSInto(&a.TLS, false),
		"token":  d.Str(&a.Token),
	}, nil)
}
