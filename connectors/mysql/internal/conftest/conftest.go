// Package conftest holds the fixtures of the config tests of the mysql
// connector types: the types, and a valid file of one mysql-source and one
// mysql-sink to add keys to. The tests are external test packages
// (source_test, sink_test), so that they can import both types.
package conftest

import (
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// Kinds are the mysql-source and mysql-sink types, as config.Load gets them.
var Kinds = config.Kinds{source.TypeName: source.Kind, sink.TypeName: sink.Kind}

// Head is a valid start of a file (lines 1-2); connector lists follow it.
const Head = "name: shop\nconnectors:\n"

// Src is a valid mysql-source connector (lines 3-7 after Head).
const Src = `  - name: src
    type: mysql-source
    dsn: "u:p@tcp(h:3306)/"
    server_id: 1
    tables: ["shop.*"]
`

// Sink is a valid mysql-sink connector (lines 8-11 after Head+Src).
const Sink = `  - name: dst
    type: mysql-sink
    source: src
    dsn: "u@tcp(r:3306)/"
`
