package config_test

import (
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/testutil/configtest"
)

func TestSinkErrorsAndRetry(t *testing.T) {
	c := configtest.Parse(t, head+srcConn+sinkConn, fakeKinds)
	s := spec[*fakeSink](c, "dst")
	if s.Errors != (config.SinkErrors{Tolerance: config.ToleranceNone}) || s.Retry != (config.Retry{MaxAttempts: 10, MaxBackoff: 30 * time.Second}) {
		t.Errorf("defaults: errors %+v, retry %+v", s.Errors, s.Retry)
	}
	c = configtest.Parse(t, head+srcConn+sinkConn+"    errors: {tolerance: all, dead_letter_topic: shop.dlq}\n    retry: {max_attempts: 3, max_backoff: 2s}\n", fakeKinds)
	s = spec[*fakeSink](c, "dst")
	if s.Errors != (config.SinkErrors{config.ToleranceAll, "shop.dlq"}) || s.Retry != (config.Retry{3, 2 * time.Second}) {
		t.Errorf("set: errors %+v, retry %+v", s.Errors, s.Retry)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"    errors: {tolerance: all}\n", `12 connectors[1].errors.dead_letter_topic: |required; set the topic that receives the messages skipped under tolerance: all`},
		{"    errors: {tolerance: some}\n", `12 connectors[1].errors.tolerance: |`},
		{"    errors: {dead_letter_topic: x}\n", `12 connectors[1].errors.dead_letter_topic: |is only used with errors.tolerance: all`},
		{"    errors: {tolerance: all, dead_letter_topic: \"a b\"}\n", `12 connectors[1].errors.dead_letter_topic: |"a b" is not a Kafka topic name`},
		{"    retry: {max_attempts: 0}\n", `12 connectors[1].retry.max_attempts: |`},
		{"    retry: {max_backoff: 1ms}\n", `12 connectors[1].retry.max_backoff: |is 1ms; use at least 100ms`},
		{"    retry: {max_tries: 3}\n", `12 connectors[1].retry.max_tries: |`},
	} {
		configtest.CheckErrs(t, configtest.ParseErrs(t, head+srcConn+sinkConn+tc.yaml, fakeKinds), []string{tc.want})
	}
	configtest.CheckErrs(t, configtest.ParseErrs(t, head+srcConn+"    retry: {max_attempts: 3}\n"+sinkConn, fakeKinds),
		[]string{`8 connectors[0].retry: |only valid for type fake-sink`})
}
