package config

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// nameRE is what a pipeline or connector name may be: it becomes part of
// Kafka topic names, consumer groups and metric labels.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate checks every rule and returns an Errors with every problem found,
// or nil. Load and Parse already call it; call it again after changing a
// Config, or on one built in code (after ApplyDefaults). Problems are located
// by the lines the Config was loaded from, if it was.
func (c *Config) Validate() error {
	r := &report{file: c.Path, meta: c.meta}
	c.validate(r)
	return r.err()
}

// validate reports every problem to r. A key whose value failed to decode is
// skipped: the decoder has reported it already.
func (c *Config) validate(r *report) {
	v := &validator{r: r, m: r.meta}
	if v.m.isBad("") {
		return
	}
	v.name("name", c.Name, "the pipeline name")
	v.kafka(c)
	v.listen("admin.listen", c.Admin.Listen)
	v.connectors(c)
	v.verify("verify", c.Verify)
	v.security(c)
	v.specs(c)
}

// validator holds the report and the decode metadata (nil for a Config built
// in code) for the checks.
type validator struct {
	r *report
	m *meta
}

// skip reports whether path failed to decode, so that it is not reported twice.
func (v *validator) skip(path string) bool { return v.m.isBad(path) }

// present reports whether path was written in the file (perhaps empty).
func (v *validator) present(path string) bool {
	if v.m == nil {
		return false
	}
	_, ok := v.m.lines[path]
	return ok
}

// missing says "required" for an absent key and "is empty" for one present
// with no value, followed by what to write.
func (v *validator) missing(path, what string) {
	if v.present(path) {
		v.r.add(path, "is empty; set %s", what)
		return
	}
	v.r.add(path, "required; set %s", what)
}

func (v *validator) show(path, value string) string { return v.m.show(path, value) }

// name checks a pipeline or connector name.
func (v *validator) name(path, name, what string) {
	switch {
	case v.skip(path):
	case name == "":
		v.missing(path, what+": letters, digits, _ and - (it becomes part of Kafka topic names)")
	case !nameRE.MatchString(name):
		v.r.add(path, "%s is not a valid name; use only letters, digits, _ and - (it becomes part of Kafka topic names)",
			v.show(path, name))
	case len(name) > maxNameLen:
		v.r.add(path, "%s is %d characters long; use at most %d (Kafka limits topic names to 249)",
			v.show(path, name), len(name), maxNameLen)
	}
}

func (v *validator) kafka(c *Config) {
	k := &c.Kafka
	seen := map[string]int{}
	for i, b := range k.Brokers {
		p := fmt.Sprintf("kafka.brokers[%d]", i)
		if v.skip(p) {
			continue
		}
		if msg := checkHostPort(b, false); msg != "" {
			v.r.add(p, "%s %s; write host:port, e.g. \"kafka-1:9092\"", v.show(p, b), msg)
		} else if j, dup := seen[b]; dup {
			v.r.add(p, "%s is listed twice (also kafka.brokers[%d]); remove one", v.show(p, b), j)
		}
		seen[b] = i
	}
	v.intRange("kafka.partitions", k.Partitions, 1, maxPartitions)
	v.intRange("kafka.replication_factor", k.ReplicationFactor, 0, maxReplication)
	if c.Embedded() && k.ReplicationFactor > 1 && !v.skip("kafka.replication_factor") && !v.skip("kafka.brokers") {
		v.r.add("kafka.replication_factor", "is %d, but with no kafka.brokers sluice runs one embedded broker, "+
			"which holds one copy; use 0 or 1, or list your brokers in kafka.brokers", k.ReplicationFactor)
	}
	v.intRange("kafka.max_message_bytes", k.MaxMessageBytes, minMessageBytes, maxMessageBytes)
	v.oneOf("kafka.compression", k.Compression, Compressions...)
	v.listen("kafka.embedded.listen", k.Embedded.Listen)
	if p := "kafka.embedded.data_dir"; k.Embedded.DataDir == "" && !v.skip(p) {
		v.missing(p, "a directory for the embedded broker's log, or remove the key for "+DefaultDataDir)
	}
}

// listen checks an address to listen on: host:port, where the host may be
// empty (all interfaces) and the port 0 (any free port).
func (v *validator) listen(path, addr string) {
	switch {
	case v.skip(path):
	case addr == "":
		v.missing(path, "host:port to listen on, e.g. \"127.0.0.1:9187\"")
	default:
		if msg := checkHostPort(addr, true); msg != "" {
			v.r.add(path, "%s %s; write host:port to listen on, e.g. \"127.0.0.1:9187\" (\":9187\" for all interfaces)",
				v.show(path, addr), msg)
		}
	}
}

// checkHostPort returns what is wrong with addr as host:port, or "".
func checkHostPort(addr string, listen bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "is not host:port"
	}
	if host == "" && !listen {
		return "has no host"
	}
	lo := 1
	if listen {
		lo = 0
	}
	if n, err := strconv.Atoi(port); err != nil || n < lo || n > 65535 {
		return fmt.Sprintf("has port %q, which is not a number from %d to 65535", port, lo)
	}
	return ""
}

// intRange checks lo <= n <= hi.
func (v *validator) intRange(path string, n int, lo, hi int64) {
	if !v.skip(path) && (int64(n) < lo || int64(n) > hi) {
		v.r.add(path, "%s", rangeMsg(lo, hi, int64(n)))
	}
}

// rangeMsg says that n is outside [lo, hi].
func rangeMsg(lo, hi, n int64) string {
	if hi == math.MaxInt32 {
		return fmt.Sprintf("must be at least %d, got %d", lo, n)
	}
	return fmt.Sprintf("must be between %d and %d, got %d", lo, hi, n)
}

// oneOf checks that s is one of the allowed values.
func (v *validator) oneOf(path, s string, allowed ...string) {
	if v.skip(path) {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	msg := fmt.Sprintf("%s is not allowed; use %s", v.show(path, s), orList(allowed))
	if g := suggest(strings.ToLower(s), allowed); g != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", g)
	}
	v.r.add(path, "%s", msg)
}

// orList formats ["a", "b", "c"] as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// suggest returns the candidate closest to word by edit distance, quoted, if
// it is close enough to be a likely typo, else "".
func suggest(word string, candidates []string) string {
	best, bestD := "", len(word)/3+2
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return strconv.Quote(best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
