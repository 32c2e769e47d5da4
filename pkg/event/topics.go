package event

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
)

// Topics names the Kafka topics of one source connector.
type Topics struct {
	Pipeline string // the config's top-level name
	Source   string // the source connector's name
}

// Table returns the topic of a table's row changes: "<pipeline>.<db>.<table>".
func (t Topics) Table(db, table string) string { return t.Pipeline + "." + db + "." + table }

// maxTopicLen is Kafka's longest topic name; the embedded broker keeps a
// partition in a directory named after the URL-escaped topic and the
// partition number, which must fit a file name (255 bytes).
const maxTopicLen = 249

// CheckTable says why a table cannot have a topic of its own under
// Table's naming, or nil. A '.' in a database name makes two tables share
// a topic (`x.y`.`z` and `x`.`y.z`) and the sinks tell tables apart by
// "db.table"; a topic name over 249 characters, or over 249 bytes
// URL-escaped (64 × 'ü'), is refused by Kafka or cannot be stored by the
// embedded broker. Until topic names escape such tables, they are refused
// with this reason instead of being mixed up or retried forever. Other
// characters outside Kafka's alphabet are the broker's to refuse: the
// embedded broker takes them.
func (t Topics) CheckTable(db, table string) error {
	name := "`" + db + "`.`" + table + "`"
	if strings.Contains(db, ".") {
		return fmt.Errorf("table %s: a '.' in a database name makes its topic and its \"db.table\" name ambiguous with other tables'", name)
	}
	topic := t.Table(db, table)
	if n, esc := len(topic), len(url.PathEscape(topic)); n > maxTopicLen || esc > maxTopicLen {
		return fmt.Errorf("table %s: its topic name is %d bytes (%d URL-escaped); Kafka and the embedded broker's files allow %d", name, n, esc, maxTopicLen)
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
