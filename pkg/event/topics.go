package event

import (
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Topics names the Kafka topics of one source connector.
type Topics struct {
	Pipeline string // the config's top-level name
	Source   string // the source connector's name
}

// maxTopicLen is Kafka's longest topic name. Table names are built of
// Kafka's alphabet only, which URL-escaping leaves alone, so they also fit
// the embedded broker's partition directories.
const maxTopicLen = 249

// topicHashLen is the number of hex digits of the hash a table topic's
// name ends with when its parts are not all clean (tableTopic).
const topicHashLen = 12

// Table returns the topic of a table's row changes (docs/events.md, "Topic
// names"): "<pipeline>.<source>.<db>.<table>" when all four parts are
// clean (only ASCII letters, digits and '-') and the name fits 249 bytes;
// otherwise the parts with every byte outside [A-Za-z0-9_-] made '_',
// shortened (longest part first) so that the name fits, joined by '.' and
// followed by '_' and 12 hex digits of tableHash. Distinct (pipeline,
// source, db, table) give names Kafka tells apart even though it takes '.'
// and '_' for the same character (up to a 48-bit hash), and every name is
// a legal Kafka topic. A table that already had a topic under the naming
// before this one may keep it (LegacyTable).
func (t Topics) Table(db, table string) string {
	parts := [4]string{t.Pipeline, t.Source, db, table}
	n := len(parts) - 1
	clean := true
	for _, p := range parts {
		n += len(p)
		clean = clean && cleanPart(p)
	}
	if clean && n <= maxTopicLen {
		return strings.Join(parts[:], ".")
	}
	var san [4][]byte
	for i, p := range parts {
		san[i] = sanitizePart(p)
	}
	shorten(&san, maxTopicLen-(len(parts)-1)-1-topicHashLen)
	b := make([]byte, 0, maxTopicLen)
	for i, p := range san {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, p...)
	}
	b = append(b, '_')
	return string(append(b, tableHash(parts)[:topicHashLen]...))
}

// LegacyTable returns the name earlier versions gave a table's topic,
// "<pipeline>.<db>.<table>". A source keeps publishing a table there when
// its schema history shows it had that topic (connectors/mysql/source,
// topics.go); nothing else may use it.
func (t Topics) LegacyTable(db, table string) string { return t.Pipeline + "." + db + "." + table }

// tableHash is the hex SHA-256 of the parts, each written as its length in
// decimal, ':' and its bytes, so that no two tuples hash the same input.
func tableHash(parts [4]string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// cleanPart reports whether p may appear verbatim in a table topic: not
// empty, only ASCII letters, digits and '-' (no '_', no '.').
func cleanPart(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; !isAlnum(c) && c != '-' {
			return false
		}
	}
	return p != ""
}

// sanitizePart returns p with every byte outside [A-Za-z0-9_-] made '_'
// (a multi-byte character becomes several).
func sanitizePart(p string) []byte {
	b := []byte(p)
	for i, c := range b {
		if !isAlnum(c) && c != '-' {
			b[i] = '_'
		}
	}
	return b
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// shorten cuts the longest of the parts until together they hold at most
// budget bytes (parts may end up empty; the dots between them stay).
func shorten(parts *[4][]byte, budget int) {
	for {
		total, long := 0, 0
		for i, p := range parts {
			total += len(p)
			if len(p) > len(parts[long]) {
				long = i
			}
		}
		if total <= budget {
			return
		}
		next := 0 // the longest length among the others
		for i, p := range parts {
			if i != long {
				next = max(next, len(p))
			}
		}
		cut := min(total-budget, max(len(parts[long])-next, 1))
		parts[long] = parts[long][:len(parts[long])-cut]
	}
}

// LegalTopic says why name is not a legal Kafka topic name, or nil: Kafka
// takes 1 to 249 bytes of ASCII letters, digits, '.', '_' and '-', except
// "." and "..".
func LegalTopic(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > maxTopicLen {
		return fmt.Errorf("topic %q: Kafka takes names of 1 to %d bytes other than \".\" and \"..\"", name, maxTopicLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("topic %q: byte %d (%q) is outside Kafka's alphabet [A-Za-z0-9._-]", name, i, c)
		}
	}
	return nil
}

// CheckTable says why a table cannot be captured apart from the others,
// or nil. A '.' in a database name makes the table's "db.table" name, by
// which the sinks, markers and signals name tables, ambiguous with other
// tables' (`x.y`.`z` and `x`.`y.z`). Its topic name is never the problem:
// Table gives every table a legal topic of its own.
func (t Topics) CheckTable(db, table string) error {
	if strings.Contains(db, ".") {
		return fmt.Errorf("table `%s`.`%s`: a '.' in a database name makes its \"db.table\" name ambiguous with other tables'", db, table)
	}
	return nil
}

// Transaction returns the topic of transaction markers.
func (t Topics) Transaction() string {
	return "_sluice." + t.Pipeline + "." + t.Source + ".transaction"
}

// Schema returns the topic of table definitions.
func (t Topics) Schema() string { return "_sluice." + t.Pipeline + "." + t.Source + ".schema" }

// Offsets returns the compacted topic that holds the source's position.
func (t Topics) Offsets() string { return "_sluice." + t.Pipeline + "." + t.Source + ".offsets" }

// Leader returns the name of the consumer group through which the processes
// running this source elect the one that publishes (kafka.Client.Campaign).
func (t Topics) Leader() string { return "_sluice." + t.Pipeline + "." + t.Source + ".leader" }

// StatusTopic returns the compacted topic where the processes of a pipeline
// announce themselves and where their connectors stand (sluice status):
// "_sluice.<pipeline>.status", one record per connector name.
func StatusTopic(pipeline string) string { return "_sluice." + pipeline + ".status" }

// PartitionFor returns the partition of a message key among n partitions:
// FNV-1a of the key bytes modulo n. Readers and writers must agree on it, so
// it is the only place the rule lives.
func PartitionFor(key []byte, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write(key)
	return int(h.Sum32() % uint32(n))
}
