package event

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Topics names the Kafka topics of one source connector.
type Topics struct {
	Pipeline string // the config's top-level name
	Source   string // the source connector's name
}

// Table returns the topic of a table's row changes: "<pipeline>.<db>.<table>".
func (t Topics) Table(db, table string) string { return t.Pipeline + "." + db + "." + table }

// maxTopicLen is Kafka's longest topic name.
const maxTopicLen = 249

// CheckTable says why a table cannot have a topic of its own under
// Table's naming, or nil. A '.' in a database name makes two tables share
// a topic (`x.y`.`z` and `x`.`y.z`) and the sinks tell tables apart by
// "db.table"; a name outside Kafka's alphabet (ASCII letters, digits,
// '.', '_', '-') or over 249 characters is refused by Kafka, or by the
// embedded broker's file system. Until topic names escape such tables,
// they are refused with this reason instead of being mixed up.
func (t Topics) CheckTable(db, table string) error {
	name := "`" + db + "`.`" + table + "`"
	if strings.Contains(db, ".") {
		return fmt.Errorf("table %s: a '.' in a database name makes its topic and its \"db.table\" name ambiguous with other tables'", name)
	}
	topic := t.Table(db, table)
	if len(topic) > maxTopicLen {
		return fmt.Errorf("table %s: its topic name %s is %d characters, Kafka allows %d", name, topic, len(topic), maxTopicLen)
	}
	for _, r := range topic {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("table %s: its topic name %q holds %q; Kafka topic names allow only ASCII letters, digits, '.', '_' and '-'", name, topic, r)
		}
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
