package kafka

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkProduceCompression produces batches of 5000 row-change-like
// records (JSON envelopes of a 20-column row, as the source writes them) to
// one partition of an embedded broker that fsyncs each batch, with each
// kafka.compression codec. It reports the throughput of uncompressed record
// bytes and the bytes the broker stored per record.
func BenchmarkProduceCompression(b *testing.B) {
	recs := make([]Record, 5000)
	for i := range recs {
		recs[i] = Record{Key: fmt.Appendf(nil, `{"id":%d}`, i), Value: fmt.Appendf(nil, `{"before":null,"after":{"c":"%d-%[1]x-some text that varies %[1]d","id":%[1]d,`+
			`"k":%d,"pad":"%[1]x-%[1]o-%[1]b","price":"%[1]d.%02d","ts":"2024-05-06 07:08:%02d.%06[1]d","n1":%[1]d,"n2":%[1]d,"n3":3,"n4":4},"op":"c",`+
			`"ts_ms":1700000000000,"source":{"version":"0.1.0","connector":"mysql","name":"bench","ts_ms":1700000000000,"snapshot":"false","db":"bench",`+
			`"table":"wide","server_id":1,"gtid":"0-1-%[1]d","file":"mariadb-bin.000001","pos":%[1]d,"row":0,"thread":7,"query":null},`+
			`"transaction":{"id":"0-1-%[1]d","total_order":1,"data_collection_order":1,"seq":"0000000001.%020[1]d.0000000000"}}`, i, i*7%1000, i%100, i%60)}
	}
	var raw int
	for _, r := range recs {
		raw += len(r.Key) + len(r.Value)
	}
	for _, name := range []string{"none", "snappy", "lz4", "zstd", "gzip"} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			br, err := StartEmbedded(EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: dir, SyncWrites: true, MaxMessageBytes: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			c := NewClient([]string{br.Addr()}, 0, 1<<20, WithCompression(name))
			if _, err := c.EnsureTopic(ctx, TopicSpec{Name: "t", Partitions: 1}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(raw))
			n := 0
			for b.Loop() {
				if _, err := c.Produce(ctx, "t", 0, recs); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.StopTimer()
			var stored int64
			_ = filepath.WalkDir(filepath.Join(dir, "partitions"), func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && filepath.Ext(d.Name()) == ".dat" {
					if fi, err := d.Info(); err == nil {
						stored += fi.Size()
					}
				}
				return nil
			})
			b.ReportMetric(float64(stored)/float64(n*len(recs)), "stored-B/rec")
			b.ReportMetric(float64(raw)/float64(len(recs)), "raw-B/rec")
		})
	}
}
