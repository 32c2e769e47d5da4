package kafka

import (
	"errors"
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

// packFactor: with a codec, a request first carries up to packFactor times
// MaxMessageBytes of uncompressed records. The broker's limit applies to
// the compressed batch, and sluice's row changes compress 5-10x with lz4
// (BenchmarkProduceCompression), so requests stay under it while the
// broker writes (and fsyncs) several times fewer of them.
const packFactor = 4

// requestLimit returns how many uncompressed record bytes one request may
// carry: MaxMessageBytes without compression, else packFactor times that
// until a request was refused as too large (tooLarge).
func (c *Client) requestLimit() int {
	base := c.maxMessageBytes()
	if c.codec == 0 {
		return base
	}
	if l := c.packed.Load(); l > 0 {
		return int(l)
	}
	return packFactor * base
}

// tooLarge reports whether err is the broker refusing a request packed to
// limit as too large while a smaller request could pass; it then halves
// the limit of later requests (never below MaxMessageBytes, which always
// fits). The broker writes nothing of a refused request.
func (c *Client) tooLarge(err error, limit int) bool {
	base := c.maxMessageBytes()
	if limit <= base || !errors.Is(err, kafkago.MessageSizeTooLarge) {
		return false
	}
	c.packed.Store(int64(max(limit/2, base)))
	return true
}
