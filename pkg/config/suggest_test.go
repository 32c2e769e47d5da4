package config

import "testing"

func TestSuggest(t *testing.T) {
	for _, tc := range []struct {
		word string
		want string
	}{
		{"sever_id", `"server_id"`}, {"tabels", `"tables"`}, {"xyz", ""}, {"", ""}, {"snapshot_size", `"snapshot"`},
	} {
		if got := suggest(tc.word, []string{"server_id", "tables", "snapshot", "snapshot_chunk_size"}); got != tc.want {
			t.Errorf("suggest(%q) = %s, want %s", tc.word, got, tc.want)
		}
	}
}
