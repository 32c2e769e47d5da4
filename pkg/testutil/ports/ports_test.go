package ports

import (
	"net"
	"slices"
	"strconv"
	"testing"
)

func TestOutside(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi int
		want   []span
	}{
		{"linux default", 32768, 60999, []span{{10000, 32767}, {61000, 65535}}},
		{"iana", 49152, 65535, []span{{10000, 49151}}},
		{"low range", 1024, 20000, []span{{20001, 65535}}},
		{"everything", 1024, 65535, nil},
		{"below lowest", 2000, 5000, []span{{10000, 65535}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := outside(tc.lo, tc.hi); !slices.Equal(got, tc.want) {
				t.Fatalf("outside(%d, %d) = %v, want %v", tc.lo, tc.hi, got, tc.want)
			}
		})
	}
}

func TestNth(t *testing.T) {
	spans := []span{{10, 12}, {20, 21}}
	var got []int
	for i := range count(spans) {
		got = append(got, nth(spans, i))
	}
	if want := []int{10, 11, 12, 20, 21}; !slices.Equal(got, want) {
		t.Fatalf("ports = %v, want %v", got, want)
	}
}

func TestFree(t *testing.T) {
	lo, hi := EphemeralRange()
	seen := map[int]bool{}
	for range 50 {
		p := FreeT(t)
		if p < lowest || p > highest || (p >= lo && p <= hi) {
			t.Fatalf("port %d: want %d-%d outside the ephemeral range %d-%d", p, lowest, highest, lo, hi)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	// The port can be bound.
	p := FreeT(t)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

func TestTaken(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want bool
	}{
		{"listen tcp 127.0.0.1:40000: bind: address already in use", true},
		{"[ERROR] Can't start server: Bind on TCP/IP port. Got error: 98: Address already in use", true},
		{"connection refused", false},
	} {
		if got := Taken(tc.out); got != tc.want {
			t.Errorf("Taken(%q) = %v, want %v", tc.out, got, tc.want)
		}
	}
}
