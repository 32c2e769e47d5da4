package event

import "hash/fnv"

// Topics names the Kafka topics of one source connector.
type Topics struct {
	Pipeline string // the config's top-level name
	Source   string // the source connector's name
}

// Table returns the topic of a table's row changes: "<pipeline>.<db>.<table>".
func (t Topics) Table(db, table string) string { return t.Pipeline + "." + db + "." + table }

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
