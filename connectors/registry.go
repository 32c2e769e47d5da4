// Package connectors lists the connector implementations sluice ships.
// The list is explicit: adding a connector means adding a line here.
package connectors

import (
	"github.com/sluice-cdc/sluice/connectors/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// Builtin maps a connector type, as written in the config's type: key, to
// the Type: its role, its config and its factory. cmd/sluice hands it to
// the runtime (pkg/app), which gives config.Load its Kinds.
var Builtin = connector.Registry{
	source.TypeName: mysql.Source,
	sink.TypeName:   mysql.Sink,
}
