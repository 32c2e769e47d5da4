package catalog

import "strings"

// StatementTables returns the tables ("db.table", unqualified names in
// schema) that a table DDL statement creates, changes, renames or drops,
// read from its text alone: it works on statements the parser rejects,
// so that the source can quarantine exactly those tables. It knows
// CREATE [OR REPLACE] TABLE, ALTER TABLE (with its RENAME TO), DROP
// TABLE, RENAME TABLE, TRUNCATE, and CREATE/DROP INDEX ... ON. It returns
// nil for anything else, and for temporary tables (never replicated).
func StatementTables(q, schema string) []string {
	w := ddlWords(q)
	at := func(i int, kws ...string) bool {
		for j, kw := range kws {
			if i+j >= len(w) || w[i+j].quoted || !strings.EqualFold(w[i+j].text, kw) {
				return false
			}
		}
		return true
	}
	i := 1
	skip := func(kws ...string) { // optional words, in any order
		for again := true; again; {
			again = false
			for _, kw := range kws {
				if at(i, kw) {
					i, again = i+1, true
				}
			}
		}
	}
	var out []string
	// name reads db.table or table at i.
	name := func() bool {
		if i >= len(w) || !w[i].ident() {
			return false
		}
		db, t := schema, w[i].text
		if i+2 < len(w) && w[i+1].text == "." && !w[i+1].quoted && w[i+2].ident() {
			db, t = t, w[i+2].text
			i += 2
		}
		i++
		out = append(out, db+"."+t)
		return true
	}
	list := func(sep string) { // name [sep name]...
		for name() && i < len(w) && !w[i].quoted && strings.EqualFold(w[i].text, sep) {
			i++
		}
	}
	switch {
	case len(w) == 0:
		return nil
	case at(0, "CREATE"):
		skip("OR", "REPLACE", "UNIQUE", "FULLTEXT", "SPATIAL")
		switch {
		case at(i, "TABLE"):
			i++
			skip("IF", "NOT", "EXISTS")
			name()
			if at(i, "(") && at(i+1, "LIKE") {
				i++
			}
			if at(i, "LIKE") { // the copy takes the original's definition
				i++
				name()
			}
		case at(i, "INDEX"):
			for i < len(w) && !at(i, "ON") {
				i++
			}
			i++
			name()
		}
	case at(0, "ALTER"):
		skip("ONLINE", "OFFLINE", "IGNORE")
		if !at(i, "TABLE") {
			return nil
		}
		i++
		skip("IF", "EXISTS")
		name()
		for ; i < len(w); i++ { // ALTER TABLE a RENAME [TO|AS] b
			if at(i, "RENAME") && !at(i+1, "COLUMN") && !at(i+1, "INDEX") && !at(i+1, "KEY") {
				i++
				skip("TO", "AS")
				name()
			}
		}
	case at(0, "DROP"):
		switch {
		case at(i, "TABLE"):
			i++
			skip("IF", "EXISTS")
			list(",")
		case at(i, "INDEX"):
			for i < len(w) && !at(i, "ON") {
				i++
			}
			i++
			name()
		}
	case at(0, "RENAME"):
		if at(i, "TABLE") || at(i, "TABLES") {
			i++
			for name() && at(i, "TO") {
				i++
				if !name() || !at(i, ",") {
					break
				}
				i++
			}
		}
	case at(0, "TRUNCATE"):
		skip("TABLE")
		name()
	}
	return out
}

// ddlWord is one word of a statement: a name (quoted or not), a keyword,
// or one punctuation character (a string literal is one "'").
type ddlWord struct {
	text   string
	quoted bool // a `quoted` name
}

func (w ddlWord) ident() bool {
	return w.quoted || w.text != "" && isWordByte(w.text[0])
}

// ddlWords splits q into words outside comments and string literals.
// Executable comments (/*! ... */, /*M! ... */) count as their content.
func ddlWords(q string) []ddlWord {
	var out []ddlWord
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '`':
			j := quotedEnd(q, i)
			out = append(out, ddlWord{text: strings.ReplaceAll(q[i+1:max(j-1, i+1)], "``", "`"), quoted: true})
			i = j
		case c == '\'' || c == '"':
			out = append(out, ddlWord{text: "'"}) // a string: no name
			i = quotedEnd(q, i)
		case strings.HasPrefix(q[i:], "/*!") || strings.HasPrefix(q[i:], "/*M!"):
			i += 3
			if q[i-1] == 'M' {
				i++
			}
			for i < len(q) && q[i] >= '0' && q[i] <= '9' { // version
				i++
			}
		case strings.HasPrefix(q[i:], "*/"):
			i += 2
		case strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '#' || strings.HasPrefix(q[i:], "-- "):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return out
			}
			i += j + 1
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			out = append(out, ddlWord{text: q[i:j]})
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			out = append(out, ddlWord{text: q[i : i+1]})
			i++
		}
	}
	return out
}

// ByNameOnly reports whether table DDL q needs no table definition to
// apply: RENAME TABLE, ALTER TABLE ... RENAME TO alone and DROP TABLE,
// which a replica runs as written
// whatever its copy of the tables looks like. The source lets them through
// for a table quarantined for a DDL, so that the replica's tables follow
// the source's names (and the foreign keys of other tables that refer to
// them, which InnoDB renames along).
func ByNameOnly(q string) bool {
	w := ddlWords(q)
	if len(w) < 2 || w[0].quoted || w[1].quoted {
		return false
	}
	first, second := strings.ToUpper(w[0].text), strings.ToUpper(w[1].text)
	if (first == "RENAME" || first == "DROP") && (second == "TABLE" || second == "TABLES") {
		return true
	}
	if first != "ALTER" || second != "TABLE" { // ALTER TABLE a RENAME [TO|AS] b, nothing else
		return false
	}
	i := 2
	name := func() bool { // db.table or table at i
		if i >= len(w) || !w[i].ident() {
			return false
		}
		i++
		if i+1 < len(w) && w[i].text == "." && !w[i].quoted && w[i+1].ident() {
			i += 2
		}
		return true
	}
	kw := func(k string) bool {
		if i < len(w) && !w[i].quoted && strings.EqualFold(w[i].text, k) {
			i++
			return true
		}
		return false
	}
	if !name() || !kw("RENAME") {
		return false
	}
	_ = kw("TO") || kw("AS")
	return name() && i == len(w)
}
