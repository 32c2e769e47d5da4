package config

import (
	"testing"
	"time"
)

func TestSinkErrorsAndRetry(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	c, err := parse([]byte(head+srcConn+sinkConn), "t.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Connectors[1]
	if s.Errors != (SinkErrors{Tolerance: ToleranceNone}) || s.Retry != (Retry{MaxAttempts: 10, MaxBackoff: 30 * time.Second}) {
		t.Errorf("defaults: errors %+v, retry %+v", s.Errors, s.Retry)
	}
	c, err = parse([]byte(head+srcConn+sinkConn+"    errors: {tolerance: all, dead_letter_topic: shop.dlq}\n    retry: {max_attempts: 3, max_backoff: 2s}\n"), "t.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s = c.Connectors[1]
	if s.Errors != (SinkErrors{ToleranceAll, "shop.dlq"}) || s.Retry != (Retry{3, 2 * time.Second}) {
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
		checkErrs(t, parseErrs(t, head+srcConn+sinkConn+tc.yaml, noEnv), []string{tc.want})
	}
	checkErrs(t, parseErrs(t, head+srcConn+"    retry: {max_attempts: 3}\n"+sinkConn, noEnv),
		[]string{`8 connectors[0].retry: |only valid for type mysql-sink`})
}
