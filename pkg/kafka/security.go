package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Security is how a Client authenticates to the brokers and protects the
// connection. The zero value is plaintext without authentication.
type Security struct {
	TLS  *tls.Config    // nil: plaintext
	SASL sasl.Mechanism // nil: no authentication
	// Err, when set, is why TLS or SASL could not be set up: every request
	// fails with it rather than falling back to a weaker connection.
	Err error
}

// Option configures a Client.
type Option func(*Client)

// WithSecurity makes every connection of the client, and of its readers,
// use sec.
func WithSecurity(sec Security) Option {
	return func(c *Client) { c.sec = sec }
}

// NewSASL returns the mechanism for one of PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512. The error names the mechanism, never the password.
func NewSASL(mechanism, username, password string) (sasl.Mechanism, error) {
	switch mechanism {
	case "PLAIN":
		return plain.Mechanism{Username: username, Password: password}, nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if mechanism == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, username, password)
		if err != nil {
			return nil, fmt.Errorf("sasl %s for user %s: %w", mechanism, username, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("sasl mechanism %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", mechanism)
}

// transport returns the kafka-go transport of a client with sec.
func (sec Security) transport() *kafkago.Transport {
	t := &kafkago.Transport{TLS: sec.TLS, SASL: sec.SASL}
	if sec.Err != nil {
		t.Dial = func(context.Context, string, string) (net.Conn, error) { return nil, sec.Err }
	}
	return t
}

// dialer returns the kafka-go dialer of a reader with sec.
func (sec Security) dialer() *kafkago.Dialer {
	return &kafkago.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: sec.TLS, SASLMechanism: sec.SASL}
}

// User is a SASL credential the embedded broker accepts.
type User struct {
	Mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	Username  string
	Password  string
}

// securityOpts returns the kfake options of the listener's TLS and SASL.
// With users, SASL is required on every connection and each user is a
// superuser (the embedded broker holds one pipeline; ACLs would add nothing).
func (cfg EmbeddedConfig) securityOpts() []kfake.Opt {
	var opts []kfake.Opt
	if cfg.TLS != nil {
		opts = append(opts, kfake.TLS(cfg.TLS))
	}
	if len(cfg.Users) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range cfg.Users {
			opts = append(opts, kfake.Superuser(u.Mechanism, u.Username, u.Password))
		}
	}
	return opts
}

// explain adds the likely cause to err, the failure of a request. A broker
// that refuses a SASL credential may answer SASL_AUTHENTICATION_FAILED (which
// kafka-go reports as such) or just close the connection (the embedded broker
// does), which reads as an EOF; explain tells the two apart by dialling
// again with and without SASL. It never quotes the password.
func (c *Client) explain(ctx context.Context, err error) error {
	if c.sec.SASL == nil || len(c.brokers) == 0 || !(errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		return err
	}
	d := c.sec.dialer()
	if conn, derr := d.DialContext(ctx, "tcp", c.brokers[0]); derr == nil {
		conn.Close()
		return err
	}
	d.SASLMechanism = nil
	conn, derr := d.DialContext(ctx, "tcp", c.brokers[0])
	if derr != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, verr := conn.ApiVersions(); verr != nil { // the broker does not speak to this connection at all (plaintext to TLS)
		return fmt.Errorf("%w (the broker closed the connection before authentication: does it expect TLS? check kafka.tls)", err)
	}
	return fmt.Errorf("%w: the broker closed the connection during SASL %s authentication: "+
		"the username or password is wrong or the user does not exist; check kafka.sasl", err, c.sec.SASL.Name())
}
