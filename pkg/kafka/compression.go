package kafka

import (
	"fmt"

	kafkago "github.com/segmentio/kafka-go"
)

// Compressions are the producer compression codecs sluice accepts, by
// their kafka.compression names.
var Compressions = map[string]kafkago.Compression{
	"none": 0, "gzip": kafkago.Gzip, "snappy": kafkago.Snappy, "lz4": kafkago.Lz4, "zstd": kafkago.Zstd,
}

// WithCompression makes Produce compress each record batch with the named
// codec (a key of Compressions; "" is none). Consumers decompress by
// themselves: the codec travels in each batch's attributes. An unknown
// name makes every Produce fail with an error naming it (config validation
// refuses it first).
func WithCompression(name string) Option {
	return func(c *Client) {
		codec, ok := Compressions[name]
		if !ok && name != "" {
			c.codecErr = fmt.Errorf("kafka.compression %q is not one of none, snappy, lz4, zstd, gzip", name)
		}
		c.codec = codec
	}
}
