package connector

import (
	"fmt"

	"github.com/sluice-cdc/sluice/pkg/config"
)

// Type is one connector type: what config.Load needs to decode and
// validate its connectors (config.Kind: its role, and the config of its own
// keys), and the factory of its connectors.
type Type struct {
	config.Kind
	New Factory
}

// Registry maps a connector type, as written in the config's type: key, to
// the Type. The binary's registry is connectors.Builtin; the runtime
// receives it and knows connectors only through it and the interfaces of
// this package.
type Registry map[string]Type

// Kinds returns what config.Load needs of each type.
func (r Registry) Kinds() config.Kinds {
	out := make(config.Kinds, len(r))
	for name, t := range r {
		out[name] = t.Kind
	}
	return out
}

// The optional interfaces below are implemented by a type's config
// (config.Connector.Spec), not by the running connector: the runtime asks
// them before it builds any connector.

// Preparer is implemented by configs that must act once before any
// connector is built or checked, beyond the config itself: a mysql
// connector registers its TLS settings with the driver and names them in
// its DSN. Prepare is called once, from one goroutine; calling it again
// changes nothing. Its error says which key is wrong.
type Preparer interface {
	Prepare() error
}

// Prepare calls Prepare of every connector config of cfg that has one, in
// file order. The commands call it once after config.Load.
func Prepare(cfg *config.Config) error {
	for i := range cfg.Connectors {
		c := &cfg.Connectors[i]
		if p, ok := c.Spec.(Preparer); ok {
			if err := p.Prepare(); err != nil {
				return fmt.Errorf("connector %s: %w", c.Name, err)
			}
		}
	}
	return nil
}

// VerifySettings is implemented by the config of a sink type with verify
// keys: the file's verify merged with the sink's own. The runtime reads it
// for `sluice verify` and for the periodic run (verify.every).
type VerifySettings interface {
	VerifySettings() config.Verify
}

// RetrySettings is implemented by the config of a type that bounds how the
// runtime restarts its failing connectors (a mysql-sink's retry): with
// MaxAttempts > 0 the runtime gives up after that many failures in a row,
// waiting at most MaxBackoff between them.
type RetrySettings interface {
	RetrySettings() config.Retry
}
