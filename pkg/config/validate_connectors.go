package config

import (
	"fmt"
)

// connectors checks the keys every connector has: unique names, and types
// the file's Kinds know. The keys of each type are checked by specs.
func (v *validator) connectors(c *Config) {
	if v.skip("connectors") {
		return
	}
	if len(c.Connectors) == 0 {
		v.missing("connectors", fmt.Sprintf("a list of connectors: a %s, and %s connectors that replicate it",
			c.typesOf(RoleSource), c.typesOf(RoleSink)))
		return
	}
	names := map[string]int{}
	for i := range c.Connectors {
		cn := &c.Connectors[i]
		p := fmt.Sprintf("connectors[%d]", i)
		if v.skip(p) {
			continue
		}
		v.name(p+".name", cn.Name, "the connector's name")
		if j, dup := names[cn.Name]; dup && cn.Name != "" {
			v.r.add(p+".name", "%s is also the name of connectors[%d] (line %d); connector names must be unique, rename one",
				v.show(p+".name", cn.Name), j, c.Connectors[j].Line)
		} else if cn.Name != "" {
			names[cn.Name] = i
		}
		v.connType(p+".type", c, cn)
		if k := p + ".dsn"; cn.Spec == nil && cn.DSN == "" && !v.skip(k) {
			// A connector of a known type has its dsn checked by its type.
			v.missing(k, "the DSN of the connector's server")
		}
	}
}

// connType checks that the type is one of c's Kinds; for a Config built in
// code, that it has a Spec.
func (v *validator) connType(t string, c *Config, cn *Connector) {
	names := c.kinds.names("")
	switch {
	case v.skip(t):
	case cn.Type == "":
		v.missing(t, "the connector type: "+orList(names))
	case c.kinds == nil && cn.Spec == nil:
		v.r.add(t, "%s: a connector built in code needs the Spec of its type", v.show(t, cn.Type))
	case cn.Spec == nil && len(names) == 0:
		v.r.add(t, "unknown connector type %s; this program was given no connector types", v.show(t, cn.Type))
	case cn.Spec == nil:
		msg := fmt.Sprintf("unknown connector type %s; use %s", v.show(t, cn.Type), orList(names))
		if g := suggest(cn.Type, names); g != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", g)
		}
		v.r.add(t, "%s", msg)
	}
}

// specs lets each connector's type check its own keys, after everything
// else, so that a spec may rely on the rest of the file being checked.
func (v *validator) specs(c *Config) {
	if v.skip("connectors") {
		return
	}
	for i := range c.Connectors {
		if spec := c.Connectors[i].Spec; spec != nil && !v.skip(fmt.Sprintf("connectors[%d]", i)) {
			spec.Validate(&Scope{v: v, c: c, i: i})
		}
	}
}
