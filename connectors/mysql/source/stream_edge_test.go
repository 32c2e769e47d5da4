package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/connectors/mysql/source/publish"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// TestEventStart: MariaDB 11.4+ writes end position 0 on the events inside
// a GTID group; they are placed at the start of their transaction instead
// of at a wrapped-around position.
func TestEventStart(t *testing.T) {
	st := &streamer{s: &Source{pub: &publish.Publisher{Committed: event.Position{File: "b.000001", Pos: 700}}}, file: "b.000001"}
	if got := st.eventStart(&replication.EventHeader{LogPos: 500, EventSize: 100}); got != 400 {
		t.Errorf("end 500 size 100: start %d, want 400", got)
	}
	if got := st.eventStart(&replication.EventHeader{LogPos: 0, EventSize: 100}); got != 700 {
		t.Errorf("end 0 outside a transaction: start %d, want the last commit's end 700", got)
	}
	st.begin(&replication.EventHeader{LogPos: 742, EventSize: 42})
	if got := st.where(&replication.EventHeader{LogPos: 0, EventSize: 60}); got != "b.000001:700" {
		t.Errorf("end 0 inside a transaction: %s, want its start b.000001:700", got)
	}
}

// TestOtherEvents: events without rows pass; unknown and unsupported ones
// stop the reader (connector.Fatal) with their coordinates.
func TestOtherEvents(t *testing.T) {
	st := &streamer{s: &Source{pub: &publish.Publisher{}}, file: "b.000002"}
	pass := []struct {
		typ replication.EventType
		ev  replication.Event
	}{
		{replication.TABLE_MAP_EVENT, &replication.TableMapEvent{}},
		{replication.HEARTBEAT_EVENT, &replication.HeartbeatEvent{}},
		{replication.MARIADB_ANNOTATE_ROWS_EVENT, &replication.MariadbAnnotateRowsEvent{}},
		{replication.STOP_EVENT, &replication.GenericEvent{}},
	}
	for _, c := range pass {
		if err := st.otherEvent(&replication.EventHeader{EventType: c.typ, LogPos: 200, EventSize: 20}, c.ev); err != nil {
			t.Errorf("%s: %v", c.typ, err)
		}
	}
	stop := []struct {
		typ  replication.EventType
		ev   replication.Event
		want string
	}{
		{replication.EventType(250), &replication.GenericEvent{}, "unknown to sluice"},
		{replication.INCIDENT_EVENT, &replication.GenericEvent{}, "unknown to sluice"},
		{replication.XA_PREPARE_LOG_EVENT, &replication.GenericEvent{}, "an XA event sluice does not support"},
		{replication.EXECUTE_LOAD_QUERY_EVENT, &replication.ExecuteLoadQueryEvent{}, "LOAD DATA"},
	}
	for _, c := range stop {
		err := st.otherEvent(&replication.EventHeader{EventType: c.typ, LogPos: 300, EventSize: 50}, c.ev)
		var fatal *connector.Fatal
		if !errors.As(err, &fatal) || !strings.Contains(err.Error(), "b.000002:250") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a connector.Fatal naming b.000002:250 and %q", c.typ, err, c.want)
		}
	}
	ignorable := &replication.EventHeader{EventType: replication.EventType(251), Flags: replication.LOG_EVENT_IGNORABLE_F, LogPos: 9, EventSize: 9}
	if err := st.otherEvent(ignorable, &replication.GenericEvent{}); err != nil {
		t.Errorf("an event flagged ignorable: %v", err)
	}
}
