package verify

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// BenchmarkVerify measures verify on one equal table of VERIFY_BENCH_ROWS
// rows (default 1,000,000) on two local MariaDB servers:
//
//	go test ./connectors/mysql/ -run '^$' -bench Verify -benchtime 1x -timeout 30m
//
// It reports rows/s; loading the rows is not timed.
func BenchmarkVerify(b *testing.B) {
	rows := 1_000_000
	if s := os.Getenv("VERIFY_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	cfg, src, rep := verifyPair(b, 0)
	load := fmt.Sprintf(`INSERT INTO shop.items (id, name, price, ratio, f, data)
		SELECT seq, CONCAT('item name ', seq), seq / 100, seq / 7, seq / 3, UNHEX(MD5(seq)) FROM shop.seq_1_to_%d`, rows)
	start := time.Now()
	if _, err := src.Exec(load); err != nil {
		b.Fatal(err)
	}
	if _, err := rep.Exec(load); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d rows on each side in %s", rows, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := Verify(context.Background(), cfg, sink.ConfigOf(cfg.Connector("replica-1")), connector.VerifyOptions{Tables: []string{"shop.items"}})
		if err != nil {
			b.Fatal(err)
		}
		if res.Differs() || res.Failed() != nil || res.Rows != int64(rows) {
			b.Fatalf("%s: %s", res.Tables[0].String(), res.Summary())
		}
		secs := time.Since(t0).Seconds()
		b.ReportMetric(float64(rows)/secs, "rows/s")
		b.Logf("%s", res.Summary())
	}
}
