package kafka

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedConfig configures the in-process broker.
type EmbeddedConfig struct {
	Listen          string      // host:port
	DataDir         string      // created if missing; data survives restarts
	SyncWrites      bool        // fsync each produced batch before acknowledging it
	MaxMessageBytes int         // largest record batch the broker accepts
	TLS             *tls.Config // listener TLS; nil: plaintext
	Users           []User      // SASL users, all superusers; empty: no authentication
}

// Embedded is a single-node Kafka-protocol broker running in this process.
type Embedded struct {
	cluster *kfake.Cluster
	addr    string
}

// StartEmbedded starts the broker and returns once it accepts connections.
// Close stops it; Close is safe to call once.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: listen port %q: %w", portStr, err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded broker: data dir: %w", err)
	}
	listen := func(network, _ string) (net.Listener, error) {
		return net.Listen(network, net.JoinHostPort(host, portStr))
	}
	maxBytes := cfg.MaxMessageBytes
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(listen),
		kfake.DataDir(cfg.DataDir),
		kfake.DefaultNumPartitions(1),
		kfake.BrokerConfigs(map[string]string{
			// Headroom for the batch framing around the largest message.
			"message.max.bytes": strconv.Itoa(maxBytes + 64<<10),
		}),
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	opts = append(opts, cfg.securityOpts()...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker on %s: %w", cfg.Listen, err)
	}
	addrs := c.ListenAddrs()
	addr := cfg.Listen
	if len(addrs) > 0 {
		addr = addrs[0]
	}
	return &Embedded{cluster: c, addr: addr}, nil
}

// Addr returns the host:port clients connect to.
func (e *Embedded) Addr() string { return e.addr }

// Close stops the broker and flushes its data to disk.
func (e *Embedded) Close() { e.cluster.Close() }
