package deploy

import (
	"path"
	"strings"
	"testing"
)

// TestSystemdUnit loads the config the unit runs with the variables of the
// example environment file, and checks that its state fits the unit's
// writable directory.
func TestSystemdUnit(t *testing.T) {
	unit := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, "deploy/systemd/sluice.service")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = v
		}
	}
	for _, k := range []string{"ExecStart", "EnvironmentFile", "StateDirectory", "Restart"} {
		if unit[k] == "" {
			t.Errorf("sluice.service: no %s=", k)
		}
	}
	if unit["User"] == "root" || (unit["User"] == "" && unit["DynamicUser"] != "yes") {
		t.Errorf("sluice.service runs as root; set DynamicUser=yes or User=")
	}
	args := strings.Fields(unit["ExecStart"])
	if len(args) < 2 || path.Base(args[0]) != "sluice" || args[1] != "run" || flagValue(args, "--config") == "" {
		t.Fatalf("sluice.service: ExecStart=%s, want sluice run --config FILE", unit["ExecStart"])
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, "deploy/systemd/sluice.env.example")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = v
		}
	}
	c := loadConfig(t, readFile(t, "deploy/systemd/sluice.yaml"), "deploy/systemd/sluice.yaml", env)
	state := "/var/lib/" + unit["StateDirectory"] + "/"
	if c.Embedded() && !strings.HasPrefix(c.Kafka.Embedded.DataDir, state) {
		t.Errorf("deploy/systemd/sluice.yaml: kafka.embedded.data_dir %s is outside %s, the unit's only writable directory",
			c.Kafka.Embedded.DataDir, state)
	}
}
