package catalog

import (
	"math"
	"strconv"
	"strings"
)

// Dialect is the server a statement was written for, as far as parsing
// it depends on the server: MariaDB runs the content of /*M!NNNNNN ... */
// comments, MySQL takes them for plain comments, and both run /*!NNNNN
// ... */ content only when NNNNN is at most their version (and MariaDB
// not when NNNNN names a MySQL 5.7 to 9.x version).
type Dialect struct {
	MariaDB bool
	// Version is the server's version as a number, 10.11.19 as 101119 and
	// 8.0.36 as 80036 (VersionNumber).
	Version int
}

// anyServer runs the content of every executable comment, as the TiDB
// parser does for /*! ... */: for statements whose columns do not matter.
var anyServer = Dialect{MariaDB: true, Version: math.MaxInt}

// VersionNumber turns a server's @@version ("10.11.19-MariaDB-0+deb12u1",
// "8.0.36", "5.5.5-10.6.4-MariaDB" as replication reports it) into the
// number executable comments compare with. It returns 0 when the text
// holds no version.
func VersionNumber(v string) int {
	v = strings.TrimPrefix(v, "5.5.5-")
	var parts [3]int
	for i := range parts {
		j := 0
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		if j == 0 {
			break
		}
		parts[i], _ = strconv.Atoi(v[:j])
		v = v[j:]
		if !strings.HasPrefix(v, ".") {
			break
		}
		v = v[1:]
	}
	return parts[0]*10000 + parts[1]*100 + parts[2]
}

// resolveComments replaces each executable comment of q by its content
// when the server would run it, and by a space when it would not, so that
// the parser sees what the server saw. Quoted strings and identifiers and
// plain comments are left as they are.
func (d Dialect) resolveComments(q string) string {
	if !strings.Contains(q, "/*!") && !strings.Contains(q, "/*M!") && !strings.Contains(q, "/*m!") {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(q, i)
			b.WriteString(q[i:j])
			i = j
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			body := q[i+2 : i+2+end]
			i += 2 + end + 2
			content, run, exec := d.executable(body)
			switch {
			case !exec:
				b.WriteString("/*" + body + "*/")
			case run:
				b.WriteString(" " + content + " ")
			default:
				b.WriteByte(' ')
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// executable says whether the comment body (between /* and */) is an
// executable comment, and if so its content and whether d runs it.
func (d Dialect) executable(body string) (content string, run, exec bool) {
	mariaOnly := false
	switch {
	case strings.HasPrefix(body, "!"):
		body = body[1:]
	case len(body) > 1 && (body[0] == 'M' || body[0] == 'm') && body[1] == '!':
		body, mariaOnly = body[2:], true
	default:
		return "", false, false
	}
	digits := 0
	for digits < len(body) && digits < 6 && body[digits] >= '0' && body[digits] <= '9' {
		digits++
	}
	version := 0
	if digits == 5 || digits == 6 {
		version, _ = strconv.Atoi(body[:digits])
		body = body[digits:]
	}
	run = version <= d.Version
	if d.MariaDB && !mariaOnly && version >= 50700 && version <= 99999 {
		// MariaDB skips /*! comments naming MySQL 5.7 and later, whose
		// syntax it may not know, unless written /*M!.
		run = false
	}
	return body, run && (d.MariaDB || !mariaOnly), true
}

// skipQuoted returns the index just past the string or identifier quoted
// by q[i], with backslash escapes (not in identifiers) and doubled quotes.
func skipQuoted(q string, i int) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if quote != '`' {
				j++
			}
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}
