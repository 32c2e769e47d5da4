package kafka

type TopicPartition struct {
	Topic     string
	Partition int
}
