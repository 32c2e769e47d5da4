package keyset

import (
	"reflect"
	"testing"
)

func TestAfterKey(t *testing.T) {
	if got := AfterKey([]string{"`a`"}); got != "((`a` > ?))" {
		t.Errorf("one column: %s", got)
	}
	want := "((`a` > ?) OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c` > ?))"
	if got := AfterKey([]string{"`a`", "`b`", "`c`"}); got != want {
		t.Errorf("three columns:\n got %s\nwant %s", got, want)
	}
	if got := ExpandAfterKey([]any{1, 2, 3}); !reflect.DeepEqual(got, []any{1, 1, 2, 1, 2, 3}) {
		t.Errorf("args: %v", got)
	}
}
