package checkpoint

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

func broker(t *testing.T) *kafka.Client {
	t.Helper()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	b, err := kafka.StartEmbedded(kafka.EmbeddedConfig{Listen: addr, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return kafka.NewClient([]string{addr}, 0, 1<<20)
}

func TestSaveLoadLastWins(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := broker(t)
	s, err := Open(ctx, c, "offsets")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load(ctx, "src"); err != nil || st != nil {
		t.Fatalf("empty store: %+v, %v", st, err)
	}
	for i := uint64(1); i <= 3; i++ {
		st := SourceState{Position: event.Position{File: "bin.000001", Pos: 100 * i}, Seq: event.MakeSeq(1, 100*i, 0)}
		if err := s.Save(ctx, "src", st); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, "other", SourceState{Position: event.Position{File: "x.000009", Pos: 9}}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Load(ctx, "src")
	if err != nil {
		t.Fatal(err)
	}
	if st.Position.Pos != 300 || st.Seq != event.MakeSeq(1, 300, 0) {
		t.Errorf("loaded %+v, want the last saved (pos 300)", st)
	}
	if _, err := c.Produce(ctx, "offsets", 0, []kafka.Record{{Key: []byte("src"), Value: []byte("{not json")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "src"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("a corrupt checkpoint loaded without a clear error: %v", err)
	}
}

// TestServerFields: a state keeps the server it belongs to and its seq
// base; a state written before they existed decodes with them empty.
func TestServerFields(t *testing.T) {
	var old SourceState
	if err := json.Unmarshal([]byte(`{"position":{"file":"bin.000003","pos":120},"seq":"0000000003.00000000000000000100.0000000000","saved_at":"2026-01-01T00:00:00Z"}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.SeqBase != 0 || old.ServerID != 0 || old.DomainID != 0 {
		t.Errorf("an older state decoded with server fields: %+v", old)
	}
	st := SourceState{ServerID: 7, DomainID: 2, Flavor: "mariadb", SeqBase: 12}
	b, _ := json.Marshal(st)
	var back SourceState
	if err := json.Unmarshal(b, &back); err != nil || back.SeqBase != 12 || back.DomainID != 2 || back.ServerID != 7 {
		t.Errorf("round trip of %s: %+v, %v", b, back, err)
	}
}
