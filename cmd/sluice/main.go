// Command sluice captures MySQL/MariaDB row changes into Kafka and replays
// them into replica databases. See README.md.
package main

import (
	"os"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/pkg/app"
)

func main() { os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr, connectors.Builtin)) }
