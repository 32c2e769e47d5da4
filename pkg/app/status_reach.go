package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
)

// statusBrokers returns the brokers `sluice status` reads the status topic
// from and the config key that names them.
func statusBrokers(cfg *config.Config) (brokers []string, key string) {
	if cfg.Embedded() {
		return []string{dialAddr(cfg.Kafka.Embedded.Listen)}, "kafka.embedded.listen"
	}
	return cfg.Kafka.Brokers, "kafka.brokers"
}

// statusUnreachable is the error of a status that reached neither Kafka nor
// any process: one line naming each address with why it did not answer, and
// what to check.
func statusUnreachable(cfg *config.Config, rep *StatusReport) error {
	var procs []string
	for _, p := range rep.Processes {
		procs = append(procs, fmt.Sprintf("%s (%s: %s)", p.Admin, p.Via, p.Error))
	}
	where := "no admin address to ask (set admin.listen or pass --admin)"
	if len(procs) > 0 {
		where = "any sluice process at " + strings.Join(procs, ", ")
	}
	_, key := statusBrokers(cfg)
	run := "`sluice run --config " + cfg.Path + "`"
	if cfg.Embedded() {
		run += " (or `sluice broker`, which serves the embedded broker too)"
	}
	return fmt.Errorf("cannot reach %s nor %s; is %s running, and is %s right? (--log-level debug shows the underlying errors)",
		rep.KafkaError, where, run, key)
}

// reachReason says in a few words why an address did not answer: connection
// refused, host not found, no answer within the timeout. Other errors (a
// wrong SASL password, an HTTP 404) keep their text, less the Go method
// names that kafka-go puts before its errors.
func reachReason(err error, timeout time.Duration) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "host not found"
	case errors.As(err, &dns):
		return "cannot look the host up: " + dns.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %s", timeout)
	}
	return goMethod.ReplaceAllString(err.Error(), "")
}

// goMethod matches a "kafka.(*Client).Metadata: " prefix of an error text.
var goMethod = regexp.MustCompile(`\b\w+\.\(\*?\w+\)\.\w+: `)
