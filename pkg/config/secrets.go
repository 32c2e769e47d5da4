package config

import (
	"fmt"
	"strings"
)

// LiteralSecrets returns the key paths of the secrets written in the file
// as literal text rather than as a ${VAR} or ${file:/path} reference: DSN
// passwords, kafka.sasl.password, kafka.embedded.users[].password and
// admin.token. A literal secret ends up in backups, version control and
// support bundles of the config file; `sluice check` warns about each. It
// returns nil for a Config built in code.
func (c *Config) LiteralSecrets() []string {
	if c.meta == nil {
		return nil
	}
	var out []string
	literal := func(path, value string) {
		if value == "" {
			return
		}
		if _, ok := c.meta.raw[path]; !ok {
			out = append(out, path)
		}
	}
	for i, cn := range c.Connectors {
		p := fmt.Sprintf("connectors[%d].dsn", i)
		if a, b := PasswordSpan(cn.DSN); a == b {
			continue // no password
		}
		raw, ok := c.meta.raw[p]
		if !ok {
			out = append(out, p)
			continue
		}
		if i, j := PasswordSpan(raw); !strings.Contains(raw[i:j], "${") {
			out = append(out, p)
		}
	}
	if s := c.Kafka.SASL; s != nil {
		literal("kafka.sasl.password", s.Password)
	}
	for i, u := range c.Kafka.Embedded.Users {
		literal(fmt.Sprintf("kafka.embedded.users[%d].password", i), u.Password)
	}
	literal("admin.token", c.Admin.Token)
	return out
}
