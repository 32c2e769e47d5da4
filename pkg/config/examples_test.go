package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/sluice-cdc/sluice/connectors"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/connectors/mysql/source"
	"github.com/sluice-cdc/sluice/pkg/config"
)

// exampleDir holds the documented example configs, relative to this package.
const exampleDir = "../../config"

// envRef finds the ${NAME} references of an example file.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// TestExamples loads every example config with the variables it references
// set, with the connector types of the sluice binary (connectors.Builtin),
// so that the documented files cannot rot.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(exampleDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d example configs in %s, want at least shop, embedded and split", len(files), exampleDir)
	}
	loaded := map[string]*config.Config{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range envRef.FindAllSubmatch(data, -1) {
				t.Setenv(string(m[1]), "example-secret")
			}
			c, err := config.Load(file, connectors.Builtin.Kinds())
			if err != nil {
				t.Fatalf("example does not validate:\n%v", err)
			}
			loaded[filepath.Base(file)] = c
		})
	}
	// What each example claims to show in its comments.
	if c := loaded["shop.yaml"]; c != nil && (c.Embedded() || len(c.Sources()) != 1 || len(c.Sinks()) != 1) {
		t.Errorf("shop.yaml: want listed brokers, one source and one sink")
	}
	if c := loaded["embedded.yaml"]; c != nil && (!c.Embedded() || len(c.Sources()) != 1 || len(c.Sinks()) != 1) {
		t.Errorf("embedded.yaml: want the embedded broker, one source and one sink")
	}
	if c := loaded["split.yaml"]; c != nil && (c.Embedded() || len(c.Sinks()) != 2) {
		t.Errorf("split.yaml: want external brokers and two sinks")
	}
	if c := loaded["two-replicas.yaml"]; c != nil && (!c.Embedded() || len(c.Sinks()) != 2) {
		t.Errorf("two-replicas.yaml: want the embedded broker and two sinks")
	}
	if c := loaded["mysql8-gtid.yaml"]; c != nil && (len(c.Sources()) != 1 || source.ConfigOf(c.Sources()[0]).Flavor != "mysql") {
		t.Errorf("mysql8-gtid.yaml: want one mysql-flavor source")
	}
	if c := loaded["checkpoint-db.yaml"]; c != nil && (len(c.Sinks()) != 1 || sink.ConfigOf(c.Sinks()[0]).CheckpointDB == sink.DefaultCheckpointDB) {
		t.Errorf("checkpoint-db.yaml: want a sink with its own checkpoint_db")
	}
}
