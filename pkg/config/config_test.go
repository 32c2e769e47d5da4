package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestAccessors(t *testing.T) {
	c := configtest.Parse(t, "kafka: {brokers: [\"k:9092\"]}\n"+head+srcConn+sinkConn, fakeKinds)
	if c.Embedded() {
		t.Error("Embedded() = true with brokers listed")
	}
	src, sink := c.Connector("src"), c.Connector("dst")
	if src == nil || sink == nil || c.Connector("nope") != nil {
		t.Fatalf("Connector lookups: %v %v %v", src, sink, c.Connector("nope"))
	}
	if !src.IsSource() || src.IsSink() || !sink.IsSink() || sink.IsSource() {
		t.Error("IsSource/IsSink disagree with the types' roles")
	}
	if s := c.Sources(); len(s) != 1 || s[0] != src {
		t.Errorf("Sources() = %v, want the src entry of c.Connectors", s)
	}
	if s := c.Sinks(); len(s) != 1 || s[0] != sink {
		t.Errorf("Sinks() = %v, want the dst entry of c.Connectors", s)
	}
	if f := spec[*fakeSource](c, "src"); f.Connector != src || f.ID != 1 || f.Tables[0] != "shop.*" {
		t.Errorf("src spec = %+v, want its keys and a pointer to its entry", f)
	}
	if src.Line != 4 || sink.Line != 9 {
		t.Errorf("Line = %d, %d; want 4, 9", src.Line, sink.Line)
	}
	c.Kafka.Brokers = nil
	if !c.Embedded() {
		t.Error("Embedded() = false without brokers")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after Load: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"), fakeKinds)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("Load(absent) = %v, want a not-exist error naming the file", err)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		fe   config.FieldError
		want string
	}{
		{config.FieldError{File: "a.yaml", Path: "name", Line: 3, Msg: "required"}, "a.yaml:3: name: required"},
		{config.FieldError{File: "a.yaml", Path: "", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{config.FieldError{File: "a.yaml", Path: "name", Line: 0, Msg: "required"}, "a.yaml: name: required"},
		{config.FieldError{File: "", Path: "name", Line: 3, Msg: "required"}, "line 3: name: required"},
		{config.FieldError{File: "", Path: "name", Line: 0, Msg: "required"}, "name: required"},
	} {
		if got := tc.fe.Error(); got != tc.want {
			t.Errorf("%#v.Error() = %q, want %q", tc.fe, got, tc.want)
		}
	}
	errs := config.Errors{{File: "a.yaml", Path: "x", Line: 1, Msg: "one"}, {File: "a.yaml", Path: "y", Line: 2, Msg: "two"}}
	if got, want := errs.Error(), "a.yaml:1: x: one\na.yaml:2: y: two"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}
