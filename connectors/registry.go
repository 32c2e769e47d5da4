// Package connectors lists the connector implementations sluice ships.
// The list is explicit: adding a connector means adding a line here.
package connectors

import (
	"github.com/sluice-cdc/sluice/connectors/mysql"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Builtin maps a connector type, as written in the config's type: key, to
// its factory. cmd/sluice hands it to the runtime (pkg/app).
var Builtin = connector.Registry{
	"mysql-source": mysql.NewSource,
	"mysql-sink":   mysql.NewSink,
}
