package kafka

// TopicPartition names one partition of one topic.
type TopicPartition struct {
	Topic     string
	Partition int
}
