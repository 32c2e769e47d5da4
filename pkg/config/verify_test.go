package config_test

import (
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestVerifyDefaultsAndOverride(t *testing.T) {
	src := "verify:\n  every: 1h\n  max_wait: 90s\n" + head + srcConn + sinkConn +
		"    verify: {every: 10m, chunk_rows: 500}\n" +
		"  - name: dst2\n    type: fake-sink\n    source: src\n    dsn: \"u@tcp(r2:3306)/\"\n" +
		"  - name: dst3\n    type: fake-sink\n    source: src\n    dsn: \"u@tcp(r3:3306)/\"\n    verify:\n      every: 0s\n"
	c := configtest.Parse(t, src, fakeKinds)
	if want := (config.Verify{Every: time.Hour, ChunkRows: config.DefaultVerifyChunkRows, MaxWait: 90 * time.Second}); *c.Verify != want {
		t.Errorf("top-level verify = %+v, want %+v", *c.Verify, want)
	}
	for i, want := range []*config.Verify{
		{Every: 10 * time.Minute, ChunkRows: 500, MaxWait: 90 * time.Second},
		{Every: time.Hour, ChunkRows: config.DefaultVerifyChunkRows, MaxWait: 90 * time.Second},
		{Every: 0, ChunkRows: config.DefaultVerifyChunkRows, MaxWait: 90 * time.Second}, // explicit 0 turns it off
	} {
		got := c.Sinks()[i].Spec.(*fakeSink).Verify
		if got == nil || *got != *want {
			t.Errorf("sinks[%d].Verify = %+v, want %+v", i, got, want)
		}
	}
}

func TestVerifyAbsent(t *testing.T) {
	c := configtest.Parse(t, head+srcConn+sinkConn, fakeKinds)
	want := config.Verify{ChunkRows: config.DefaultVerifyChunkRows, MaxWait: config.DefaultVerifyMaxWait}
	if sink := spec[*fakeSink](c, "dst"); *c.Verify != want || *sink.Verify != want {
		t.Errorf("verify = %+v / %+v, want %+v (no periodic run)", *c.Verify, *sink.Verify, want)
	}
}

func TestVerifyErrors(t *testing.T) {
	configtest.Run(t, fakeKinds, []configtest.Case{
		{"no unit", "verify:\n  every: 3600\n" + head + srcConn,
			[]string{`2 verify.every: |expected a duration with a unit such as 1h, 30m or 90s, got "3600"`}},
		{"too often", "verify:\n  every: 10ms\n" + head + srcConn,
			[]string{`2 verify.every: |is 10ms; use 0 for no periodic verify, or at least 1s`}},
		{"unknown key", "verify:\n  evry: 1h\n" + head + srcConn,
			[]string{`2 verify.evry: |unknown key; did you mean "every"?`}},
		{"not a mapping", "verify: 1h\n" + head + srcConn,
			[]string{`1 verify: |expected a mapping of keys (chunk_rows, every, max_wait)`}},
		{"sink override", head + srcConn + sinkConn + "    verify:\n      chunk_rows: 0\n      max_wait: 1ms\n",
			[]string{`13 connectors[1].verify.chunk_rows: |must be at least 1, got 0`,
				`14 connectors[1].verify.max_wait: |is 1ms; use at least 1s`}},
		{"on a source", head + srcConn + "    verify: {every: 1h}\n",
			[]string{`8 connectors[0].verify: |only valid for type fake-sink`}},
	})
}
