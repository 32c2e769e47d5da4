package app

import "testing"

func TestAdminAddresses(t *testing.T) {
	for _, c := range []struct{ bound, host, want string }{
		{"127.0.0.1:9187", "db1", "127.0.0.1:9187"},
		{"0.0.0.0:9187", "db1", "db1:9187"},
		{"[::]:9187", "db1", "db1:9187"},
		{":9187", "db1", "db1:9187"},
		{"10.0.0.5:9187", "db1", "10.0.0.5:9187"},
	} {
		if got := advertisedAddr(c.bound, c.host); got != c.want {
			t.Errorf("advertisedAddr(%q) = %q, want %q", c.bound, got, c.want)
		}
	}
	for _, c := range []struct{ listen, want string }{
		{":9187", "127.0.0.1:9187"},
		{"0.0.0.0:9187", "127.0.0.1:9187"},
		{"sluice-1:9187", "sluice-1:9187"},
	} {
		if got := dialAddr(c.listen); got != c.want {
			t.Errorf("dialAddr(%q) = %q, want %q", c.listen, got, c.want)
		}
	}
}
