package difffuzz

import (
	"testing"
	"time"
)

// TestMinimize: the failure needs statements 3 and 7 in that order (a
// stand-in for "create the table, then write the row that diverges");
// ddmin must find exactly them among 20.
func TestMinimize(t *testing.T) {
	var stmts []Stmt
	for i := 0; i < 20; i++ {
		stmts = append(stmts, Stmt{Class: "dml", SQL: []string{string(rune('a' + i))}})
	}
	fails := func(s []Stmt) bool {
		saw3 := false
		for _, x := range s {
			if x.SQL[0] == "d" {
				saw3 = true
			}
			if x.SQL[0] == "h" && saw3 {
				return true
			}
		}
		return false
	}
	got := Minimize(stmts, fails, time.Minute)
	if len(got) != 2 || got[0].SQL[0] != "d" || got[1].SQL[0] != "h" {
		t.Fatalf("minimized to %v, want [d h]", got)
	}
}

// TestGenerateEveryClass: from any seed, a catalog with a table and a
// sequence lets every class make statements; names are quoted so that a
// backtick in one cannot end it.
func TestGenerateEveryClass(t *testing.T) {
	g := NewGen(7)
	g.Cat = &Catalog{DBs: []string{Prefix + "_a", Prefix + "_b", Prefix + "_c", Other}, Tables: []*Table{
		{DB: Prefix + "_a", Name: "t`q", Key: []string{"id"}, Columns: []Column{{Name: "id", DataType: "int", Type: "int(11)"}, {Name: "c", DataType: "varchar", Type: "varchar(20)", Nullable: true}}},
		{DB: Prefix + "_a", Name: "nokey", Columns: []Column{{Name: "v", DataType: "double", Type: "double", Nullable: true}}},
		{DB: Prefix + "_a", Name: "s1", Sequence: true},
	}}
	seen := map[string]int{}
	for i := 0; i < 3000; i++ {
		s := g.Next()
		seen[s.Class]++
		for _, q := range s.SQL {
			if len(q) == 0 {
				t.Fatalf("%s made an empty statement", s.Class)
			}
		}
	}
	for _, c := range Classes {
		if seen[c.Name] == 0 {
			t.Errorf("class %s made no statement in 3000", c.Name)
		}
	}
	if Q("t`q") != "`t``q`" {
		t.Errorf("Q(t`q) = %s", Q("t`q"))
	}
}

// TestScriptRoundTrip: what Script prints, ParseScript reads back, with
// multi-line statements, sessions and pseudo-statements.
func TestScriptRoundTrip(t *testing.T) {
	g := NewGen(3)
	g.Cat = &Catalog{DBs: []string{Prefix + "_a"}, Tables: []*Table{
		{DB: Prefix + "_a", Name: "t", Key: []string{"id"}, Columns: []Column{{Name: "id", DataType: "int", Type: "int(11)"}, {Name: "c", DataType: "text", Type: "text", Nullable: true}}},
	}}
	history := []Stmt{{Class: "setup", SQL: []string{"CREATE DATABASE x"}}, {Class: "sluice_start"}}
	for i := 0; i < 300; i++ {
		history = append(history, g.Next())
	}
	got, err := ParseScript("-- seed 3\n-- a header\n" + Script(history))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(history) {
		t.Fatalf("read back %d units, wrote %d", len(got), len(history))
	}
	for i := range got {
		if got[i].Text() != history[i].Text() || got[i].Class != history[i].Class {
			t.Fatalf("unit %d read back as\n%s\nwrote\n%s", i, got[i].Text(), history[i].Text())
		}
	}
}
