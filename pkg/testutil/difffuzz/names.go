package difffuzz

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// oddNames are identifiers that broke, or could break, name handling:
// reserved words, spaces, quotes, dots, non-ASCII letters, case, and the
// 64-character limit in bytes and in characters.
var oddNames = []string{
	"select", "order", "t q", "t`q", "T_Upper", "t_upper2", "Ünïcødé", "表", "a-b", "x$y", "1st",
	"dot.ted", "x.y",
	strings.Repeat("l", 64), strings.Repeat("ü", 64), strings.Repeat("ü", 40),
}

// dbSuffixes are the odd parts of database names (after Prefix).
var dbSuffixes = []string{"_a", "_b", "_c", " sp", "-dash", "Ü", ".dot", "_" + strings.Repeat("d", 60)}

// tableName returns a name for a new table: mostly plain, one in five odd.
func (g *Gen) tableName() (string, string) {
	if g.r.Intn(5) == 0 {
		n := oddNames[g.r.Intn(len(oddNames))]
		if len(n) > 40 && slices.Contains(g.Skip, "long_names") {
			n = n[:10]
		}
		return n, "odd_name"
	}
	g.serial++
	return fmt.Sprintf("t%d", g.serial), ""
}

// dbName returns a database name for CREATE DATABASE.
func (g *Gen) dbName() (string, string) {
	s := dbSuffixes[g.r.Intn(len(dbSuffixes))]
	class := ""
	if strings.ContainsAny(s, " -Ü.") || len(s) > 20 {
		class = "odd_name"
	}
	return Prefix + s, class
}

// comment returns a comment to lead a statement with, or "".
func leadingComment(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return "-- fuzzed\n"
	case 1:
		return "# fuzzed\n"
	case 2:
		return "/* fuzzed */ "
	case 3:
		return "-- one\n# two\n/* three */\n"
	}
	return ""
}

// pick returns one of xs.
func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.Intn(len(xs))] }
