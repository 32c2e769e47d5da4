package difffuzz

import (
	"fmt"
	"strings"
)

// Script prints a history as a file a person can replay with the mysql
// client (or SLUICE_FUZZ_REPLAY): each unit after a "-- [class]" line, its
// statements each ending with ";\n"; pseudo-statements (where sluice
// starts and restarts) as "-- >>> class" lines.
func Script(history []Stmt) string {
	var b strings.Builder
	for _, s := range history {
		if len(s.SQL) == 0 && len(s.Session) == 0 {
			fmt.Fprintf(&b, "-- >>> %s\n", s.Class)
			continue
		}
		fmt.Fprintf(&b, "-- [%s]\n%s", s.Class, s.Text())
	}
	return b.String()
}

// ParseScript reads back what Script printed (comment lines before the
// first unit are skipped). USE and SET SESSION statements that open a
// unit are its Session.
func ParseScript(text string) ([]Stmt, error) {
	var out []Stmt
	var cur *Stmt
	var pending strings.Builder
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case pending.Len() == 0 && strings.HasPrefix(trimmed, "-- >>> "):
			flush()
			out = append(out, Stmt{Class: strings.TrimPrefix(trimmed, "-- >>> ")})
		case pending.Len() == 0 && strings.HasPrefix(trimmed, "-- [") && strings.HasSuffix(trimmed, "]"):
			flush()
			cur = &Stmt{Class: trimmed[4 : len(trimmed)-1]}
		case cur == nil:
			// the header's comments
		default:
			pending.WriteString(line)
			if strings.HasSuffix(trimmed, ";") {
				q := strings.TrimSuffix(strings.TrimRight(pending.String(), "\n"), ";")
				pending.Reset()
				u := strings.ToUpper(q)
				if len(cur.SQL) == 0 && (strings.HasPrefix(u, "USE ") || strings.HasPrefix(u, "SET SESSION ")) {
					cur.Session = append(cur.Session, q)
				} else {
					cur.SQL = append(cur.SQL, q)
				}
			}
		}
	}
	if pending.Len() > 0 {
		return nil, fmt.Errorf("script ends inside a statement: %.80q", pending.String())
	}
	flush()
	return out, nil
}
