package source

import (
	"context"
	"fmt"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/faults"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// tableTopics is what the schema history says of each table's topic,
// rebuilt by replayHistory: for a table ("db.table") with records, the
// topic the last record naming one gives, or "" when none does (every
// record was written by a version before topics were named per source).
type tableTopics map[string]string

// note adds one history record, in topic order.
func (tt tableTopics) note(sr *event.SchemaRecord) {
	name := sr.Table.Name()
	if _, ok := tt[name]; !ok || sr.Topic != "" {
		tt[name] = sr.Topic
	}
}

// topicOf returns the topic of a table's rows, the same for every record
// and row of the table this source writes (docs/events.md, "Topic names"):
//   - the topic its schema history names, when a record names one;
//   - its topic from before topics were named per source,
//     "<pipeline>.<db>.<table>" (event.Topics.LegacyTable), when the history
//     has records of the table written before then and that topic exists
//     on the broker: consumers and sinks have offsets on it. A table whose
//     old topic was never created (Kafka refused it, or it had no row) has
//     nothing to keep;
//   - event.Topics.Table otherwise.
//
// The answer is kept for the term; the history records written with it
// keep it across restarts.
func (s *Source) topicOf(ctx context.Context, db, table string) (string, error) {
	if faults.LegacyTopics {
		return s.topics.LegacyTable(db, table), nil
	}
	name := db + "." + table
	if t := s.topicFor[name]; t != "" {
		return t, nil
	}
	topic, recorded := s.histTopics[name]
	if topic == "" {
		topic = s.topics.Table(db, table)
	}
	if recorded && s.histTopics[name] == "" {
		legacy := s.topics.LegacyTable(db, table)
		if event.LegalTopic(legacy) == nil {
			n, err := s.env.Kafka.Partitions(ctx, legacy)
			if err != nil {
				return "", fmt.Errorf("source %s: look for the topic %s of table %s from before per-source topic names: %w", s.cfg.Name, legacy, name, err)
			}
			if n > 0 {
				s.log.Info("table keeps its topic from before per-source topic names", "table", name, "topic", legacy)
				topic = legacy
			}
		}
	}
	if s.topicFor == nil {
		s.topicFor = map[string]string{}
	}
	s.topicFor[name] = topic
	return topic, nil
}

// schemaRecord returns r with the topic of its table filled in.
func (s *Source) schemaRecord(ctx context.Context, r event.SchemaRecord) (event.SchemaRecord, error) {
	if faults.LegacyTopics {
		return r, nil
	}
	var err error
	r.Topic, err = s.topicOf(ctx, r.Table.DB, r.Table.Table)
	return r, err
}
