package source

import (
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestSnapshotSeqOrder(t *testing.T) {
	f, p, c, ok := splitSeq(event.MakeSeq(3, 8954, 17))
	if !ok || f != 3 || p != 8954 || c != 17 {
		t.Fatalf("splitSeq = %d %d %d %v", f, p, c, ok)
	}
	if _, _, _, ok := splitSeq("x"); ok {
		t.Error("splitSeq accepted garbage")
	}
	// A chunk read at W sits after the transaction ending at W (which
	// started before W-1) and before the next one (starting at W).
	w := uint64(5000)
	prev, Chunk, next := event.MakeSeq(1, 4000, 0), event.MakeSeq(1, w-1, 1), event.MakeSeq(1, w, 0)
	if !prev.Less(Chunk) || !Chunk.Less(next) || !Chunk.Less(event.MakeSeq(1, w-1, 2)) {
		t.Errorf("chunk seq %s out of order between %s and %s", Chunk, prev, next)
	}
	a := event.Position{File: "bin.000002", Pos: 10}
	b := event.Position{File: "bin.000010", Pos: 4}
	if !posBefore(a, b) || posBefore(b, a) || posBefore(a, a) {
		t.Error("posBefore orders files by number")
	}
	if behind(a, event.Position{File: a.File, Pos: 110}) != 100 || behind(a, b) < 1<<30 || behind(b, a) != 0 {
		t.Error("behind")
	}
}
