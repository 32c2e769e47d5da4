package binlog

import (
	"strings"
	"testing"
)

// TestMissingGTIDs: what a server lacks of a recorded GTID set, per
// MariaDB domain (by seq_no) and per MySQL UUID (by interval).
func TestMissingGTIDs(t *testing.T) {
	cases := []struct {
		flavor, want, have string
		missing            []string
	}{
		{"mariadb", "0-1-10", "0-2-12", nil}, // a replica's own later writes
		{"mariadb", "0-1-10", "0-1-10", nil},
		{"mariadb", "0-1-10,1-5-3", "0-1-7,1-5-3", []string{"domain 0: seq_no 8 to 10 (0-1-8 up to 0-1-10; the server stops at 0-1-7)"}},
		{"mariadb", "0-1-10,2-5-3", "0-1-10", []string{"domain 2: seq_no 1 to 3 (up to 2-5-3; the server has no GTID of domain 2)"}},
		// A binlog state names a domain once per server: the highest seq_no counts.
		{"mariadb", "0-1-10", "0-1-9,0-2-11", nil},
		{"mysql", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-20", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-20:25",
			nil},
		{"mysql", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-20,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3",
			"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-4:8-15",
			[]string{"3e11fa47-71ca-11e1-9e33-c80aa9429562:5-7:16-20", "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3"}},
	}
	for _, c := range cases {
		want, err := ParseGTIDs(c.flavor, c.want)
		if err != nil {
			t.Fatal(err)
		}
		have, err := ParseGTIDs(c.flavor, c.have)
		if err != nil {
			t.Fatal(err)
		}
		got := MissingGTIDs(want, have)
		if strings.Join(got, "|") != strings.Join(c.missing, "|") {
			t.Errorf("%s: %s on a server with %s: missing %q, want %q", c.flavor, c.want, c.have, got, c.missing)
		}
	}
}
