package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// brokerTimeout bounds each broker's metadata request; probeTimeout the
// question whether something listening on the embedded broker's address
// speaks Kafka.
const (
	brokerTimeout = 10 * time.Second
	probeTimeout  = 2 * time.Second
)

// checkKafkaSetup checks the brokers of kafka.brokers, or, for the embedded
// broker, that its listen address is free (or already serves Kafka) and
// that its data_dir can be written. It creates nothing.
func checkKafkaSetup(ctx context.Context, cfg *config.Config) []connector.Finding {
	var out []connector.Finding
	add := func(sev connector.Severity, subject, msg, fix string) {
		out = append(out, connector.Finding{Connector: checkKafka, Severity: sev, Subject: subject, Message: msg, Fix: fix})
	}
	if !cfg.Embedded() {
		errs := make([]error, len(cfg.Kafka.Brokers))
		reachable := 0
		for i, b := range cfg.Kafka.Brokers {
			if errs[i] = pingBroker(ctx, b, brokerTimeout, kafkaOpts(cfg)...); errs[i] == nil {
				reachable++
			}
		}
		for i, b := range cfg.Kafka.Brokers {
			switch {
			case errs[i] == nil:
				add(connector.SeverityOK, "broker "+b, "answers", "")
			case kafkaSecurityFix(errs[i]) != "":
				add(connector.SeverityError, "broker "+b, errs[i].Error(), kafkaSecurityFix(errs[i]))
			case reachable > 0:
				add(connector.SeverityWarn, "broker "+b, fmt.Sprintf("unreachable (%v); the other brokers answer", errs[i]), "start it, or remove it from kafka.brokers")
			default:
				add(connector.SeverityUnknown, "broker "+b, fmt.Sprintf("unreachable: %v", errs[i]), "start the broker, or correct kafka.brokers")
			}
		}
		return out
	}
	e := cfg.Kafka.Embedded
	subject := "embedded broker listen " + e.Listen
	switch msg, err := listenFree(ctx, e.Listen, kafkaOpts(cfg)...); {
	case err == nil:
		add(connector.SeverityOK, subject, msg, "")
	case errors.Is(err, errBrokerThere):
		add(connector.SeverityWarn, subject, "a Kafka broker already answers there: fine if it is this pipeline's running sluice; otherwise sluice run cannot start its embedded broker",
			"stop that broker, or set kafka.embedded.listen to a free address, or list it in kafka.brokers")
	default:
		add(connector.SeverityError, subject, err.Error(), "free the port, or set kafka.embedded.listen to a free host:port")
	}
	subject = "embedded broker data_dir " + e.DataDir
	if msg, err := dirWritable(e.DataDir); err != nil {
		add(connector.SeverityError, subject, err.Error(), "make it writable by this user, or set kafka.embedded.data_dir")
	} else {
		add(connector.SeverityOK, subject, msg, "")
	}
	return out
}

func pingBroker(ctx context.Context, addr string, timeout time.Duration, opts ...kafka.Option) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return kafka.NewClient([]string{addr}, 0, 1<<20, opts...).Ping(ctx)
}

var errBrokerThere = errors.New("a broker listens there")

// listenFree reports whether the embedded broker could listen on addr: the
// port is free, or a Kafka broker already answers there (errBrokerThere).
func listenFree(ctx context.Context, addr string, opts ...kafka.Option) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("not host:port: %w", err)
	}
	if port == "0" {
		return "port 0: a free port is picked at start", nil
	}
	l, lerr := net.Listen("tcp", addr)
	if lerr == nil {
		l.Close()
		return "free", nil
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if pingBroker(ctx, net.JoinHostPort(host, port), probeTimeout, opts...) == nil {
		return "", errBrokerThere
	}
	return "", fmt.Errorf("cannot listen: %w", lerr)
}

// dirWritable reports whether dir, or the nearest existing parent that
// sluice would create it in, accepts a new file. The probe file is removed.
func dirWritable(dir string) (string, error) {
	probe, what := dir, "writable"
	for {
		fi, err := os.Stat(probe)
		if err == nil {
			if !fi.IsDir() {
				return "", fmt.Errorf("%s is not a directory", probe)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return "", err
		}
		probe, what = parent, "absent; can be created in "+parent
	}
	f, err := os.CreateTemp(probe, ".sluice-check-*")
	if err != nil {
		return "", fmt.Errorf("not writable: %w", err)
	}
	f.Close()
	os.Remove(f.Name())
	return what, nil
}
