// Package connectors lists the connector implementations sluice ships.
// The list is explicit: adding a connector means adding a line here.
package connectors

import (
	"github.com/sluice-cdc/sluice/connectors/mysql"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Builtin maps a connector type, as written in the config's type: key, to
// its factory.
var Builtin = map[string]connector.Factory{
	"mysql-source": mysql.NewSource,
	"mysql-sink":   mysql.NewSink,
}
