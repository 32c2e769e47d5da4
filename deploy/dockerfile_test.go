package deploy

import (
	"slices"
	"strings"
	"testing"
)

// TestDockerfile checks the image: a CGO-free build of ./cmd/sluice, a
// non-root final stage running sluice, exposing the default admin port.
func TestDockerfile(t *testing.T) {
	if exposed := dockerfileExposed(t); !slices.Contains(exposed, "9187") {
		t.Errorf("deploy/Dockerfile exposes %v, want the default admin port 9187", exposed)
	}
}

// dockerfileExposed returns the ports deploy/Dockerfile exposes, after
// checking the shape of the image: a CGO-free build of ./cmd/sluice, a
// non-root final stage whose entrypoint is sluice.
func dockerfileExposed(t *testing.T) []string {
	t.Helper()
	text := string(readFile(t, "deploy/Dockerfile"))
	for _, want := range []string{"CGO_ENABLED=0", "go build", "./cmd/sluice"} {
		if !strings.Contains(text, want) {
			t.Errorf("deploy/Dockerfile: no %s", want)
		}
	}
	var exposed []string
	var user, entrypoint string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			user, entrypoint = "", "" // a new stage starts over
		case "USER":
			user = fields[1]
		case "ENTRYPOINT":
			entrypoint = strings.Join(fields[1:], " ")
		case "EXPOSE":
			for _, p := range fields[1:] {
				exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
			}
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("deploy/Dockerfile: final stage runs as %q, want a non-root USER", user)
	}
	if !strings.Contains(entrypoint, "sluice") {
		t.Errorf("deploy/Dockerfile: final ENTRYPOINT %q does not run sluice", entrypoint)
	}
	var ignore []string
	for _, line := range strings.Split(string(readFile(t, "deploy/Dockerfile.dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignore = append(ignore, strings.Trim(line, "/"))
		}
	}
	for _, need := range []string{"go.mod", "go.sum", "cmd", "pkg", "connectors"} {
		if slices.Contains(ignore, need) {
			t.Errorf("deploy/Dockerfile.dockerignore excludes %s, which the build needs", need)
		}
	}
	return exposed
}
