package checkpoint

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/event"
)

// TestEpochFencing: a leader that claimed a higher epoch wins over a
// deposed leader's later saves, and a guard that refuses stops Save from
// writing.
func TestEpochFencing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := broker(t)
	old, err := Open(ctx, c, "offsets")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := old.Claim(ctx, "src", "a"); err != nil || e != 1 {
		t.Fatalf("first claim: epoch %d, %v", e, err)
	}
	save := func(s *Store, pos uint64) {
		t.Helper()
		if err := s.Save(ctx, "src", SourceState{Position: event.Position{File: "bin.000001", Pos: pos}}); err != nil {
			t.Fatal(err)
		}
	}
	save(old, 100)
	next, _ := Open(ctx, c, "offsets")
	if e, err := next.Claim(ctx, "src", "b"); err != nil || e != 2 {
		t.Fatalf("second claim: epoch %d, %v", e, err)
	}
	save(old, 900) // the deposed leader, after the claim: ignored
	if st, err := next.Load(ctx, "src"); err != nil || st.Position.Pos != 900 {
		// Until the new leader saved, the newest state of the highest epoch
		// is the old leader's (acknowledged, so safe to resume from).
		t.Fatalf("before the new leader saved: %+v, %v", st, err)
	}
	save(next, 200)
	save(old, 950)
	st, err := next.Load(ctx, "src")
	if err != nil || st.Position.Pos != 200 || st.Epoch != 2 {
		t.Fatalf("loaded %+v, %v; want the new leader's pos 200 at epoch 2", st, err)
	}
	if e, _ := old.Claim(ctx, "src", "a"); e != 3 {
		t.Errorf("a third claim got epoch %d, want 3", e)
	}
	next.Guard(func() error { return errors.New("lease expired") })
	if err := next.Save(ctx, "src", SourceState{}); !errors.Is(err, ErrFenced) {
		t.Errorf("guarded Save: %v, want ErrFenced", err)
	}
}
