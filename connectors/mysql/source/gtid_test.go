package source

import (
	"testing"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
)

// TestServerChanged: the recorded identity decides; a checkpoint without
// one (an older sluice) counts as this server's.
func TestServerChanged(t *testing.T) {
	s := &Source{info: &dbconn.ServerInfo{Flavor: "mariadb", ServerID: 7}}
	cases := []struct {
		st   checkpoint.SourceState
		want bool
	}{
		{checkpoint.SourceState{}, false},
		{checkpoint.SourceState{Flavor: "mariadb", ServerID: 7}, false},
		{checkpoint.SourceState{Flavor: "mariadb", ServerID: 8}, true},
		{checkpoint.SourceState{Flavor: "mysql", ServerID: 7, ServerUUID: "u"}, true},
	}
	for _, c := range cases {
		if got, names := s.serverChanged(&c.st); got != c.want {
			t.Errorf("%+v: changed %v (%s), want %v", c.st, got, names, c.want)
		}
	}
	my := &Source{info: &dbconn.ServerInfo{Flavor: "mysql", ServerID: 7, UUID: "b"}}
	if got, _ := my.serverChanged(&checkpoint.SourceState{Flavor: "mysql", ServerID: 7, ServerUUID: "a"}); !got {
		t.Error("MySQL: another server_uuid with the same server_id is another server")
	}
}
