package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// expand replaces each ${NAME} in s with the environment variable NAME, as
// returned by lookup, each ${file:/path} with the contents of that file
// (one trailing newline removed: Kubernetes secrets and `echo` add one), and
// each $${ with a literal ${. Any other $ is kept, so
// passwords holding a $ need no escaping. used reports whether s referenced a
// variable. Every unset variable is named in the error; a set but empty
// variable expands to "".
func expand(s string, lookup func(string) (string, bool)) (out string, used bool, err error) {
	if !strings.Contains(s, "${") {
		return s, false, nil
	}
	var b strings.Builder
	var missing []string
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", false, errors.New(`"${" without a closing "}"; write ${NAME}, or $${ for a literal ${`)
			}
			name := s[i+2 : i+2+end]
			if file, ok := strings.CutPrefix(name, "file:"); ok {
				v, err := readSecretFile(file)
				if err != nil {
					return "", true, err
				}
				used = true
				b.WriteString(v)
				i += 3 + end
				continue
			}
			if !isEnvName(name) {
				return "", false, fmt.Errorf("%q is not a variable reference: a name is letters, digits and _ "+
					"(defaults such as ${X:-y} are not supported); write $${ for a literal ${", "${"+name+"}")
			}
			used = true
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			i += 3 + end
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	switch len(missing) {
	case 0:
		return b.String(), used, nil
	case 1:
		return "", used, fmt.Errorf("environment variable %s is not set; export it (an empty value is allowed), "+
			"or write $${%[1]s} for a literal ${%[1]s}", missing[0])
	default:
		return "", used, fmt.Errorf("environment variables %s are not set; export them (empty values are allowed)",
			strings.Join(missing, ", "))
	}
}

// readSecretFile returns the contents of path without one trailing "\n" or
// "\r\n". Its error names the path, never the contents.
func readSecretFile(path string) (string, error) {
	if path == "" {
		return "", errors.New(`${file:} names no file; write ${file:/path/to/secret}`)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("${file:%s}: %v; mount or create the secret file, readable by sluice", path, errors.Unwrap(err))
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s, nil
}

// isEnvName reports whether s is a shell variable name: [A-Za-z_][A-Za-z0-9_]*.
func isEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
