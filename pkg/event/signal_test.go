package event

import "testing"

func TestCheckTableName(t *testing.T) {
	for name, ok := range map[string]bool{
		"shop.t": true, "a.b_c": true, "shop": false, ".t": false, "shop.": false,
		"a.b.c": false, "shop.*": false, "sh?p.t": false, "shop.[ab]": false,
	} {
		if err := CheckTableName(name); (err == nil) != ok {
			t.Errorf("CheckTableName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	if _, err := DecodeSignal([]byte(`{"type":"snapshot","id":"x","tables":["shop.t"]}`)); err != nil {
		t.Error(err)
	}
	for _, b := range []string{`{"type":"other","tables":["shop.t"]}`, `{"type":"snapshot","tables":["shop*"]}`, `{`} {
		if _, err := DecodeSignal([]byte(b)); err == nil {
			t.Errorf("DecodeSignal(%s) accepted", b)
		}
	}
}
