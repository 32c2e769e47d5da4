package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Signal returns the topic of requests to a running source (snapshot
// requests): "_sluice.<pipeline>.<source>.signal", one partition. The source
// records in its checkpoint how far it has read it, so each request is
// acted on once, even when it was made while the source was down.
func (t Topics) Signal() string { return "_sluice." + t.Pipeline + "." + t.Source + ".signal" }

// SignalSnapshot is the Type of a snapshot request.
const SignalSnapshot = "snapshot"

// Signal is one message on a source's signal topic.
type Signal struct {
	Type string `json:"type"` // SignalSnapshot
	ID   string `json:"id"`
	// Tables are "db.table" names: each is copied again by an incremental
	// snapshot while streaming continues.
	Tables []string  `json:"tables"`
	By     string    `json:"by,omitempty"` // who asked: "cli", "admin"
	Time   time.Time `json:"time"`
}

// DecodeSignal parses a signal-topic message value and checks it.
func DecodeSignal(b []byte) (*Signal, error) {
	var s Signal
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode signal: %w", err)
	}
	if s.Type != SignalSnapshot {
		return nil, fmt.Errorf("decode signal %q: unknown type %q", s.ID, s.Type)
	}
	for _, t := range s.Tables {
		if err := CheckTableName(t); err != nil {
			return nil, fmt.Errorf("decode signal %q: %w", s.ID, err)
		}
	}
	return &s, nil
}

// CheckTableName checks that name is "db.table": one dot, both parts
// non-empty, no glob characters.
func CheckTableName(name string) error {
	db, table, ok := strings.Cut(name, ".")
	switch {
	case !ok || db == "" || table == "" || strings.Contains(table, "."):
		return fmt.Errorf("table %q: write db.table", name)
	case strings.ContainsAny(name, "*?[]\\"):
		return fmt.Errorf("table %q: name one table, without globs", name)
	}
	return nil
}
