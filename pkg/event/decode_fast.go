package event

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"sync/atomic"
)

// The envelope and marker decoders below read what sluice writes without
// reflection. Each returns ok=false on anything it does not read exactly as
// encoding/json would (a syntax error, an unknown or repeated key, a key in
// other letter case, a type mismatch, a range or ddl block, invalid UTF-8
// in a decoded string); DecodeChange and DecodeTxMarker then decode the
// input with encoding/json, which returns the same value or the error.
// TestFastDecodeMatchesEncodingJSON and the Fuzz*MatchesEncodingJSON
// targets check that whatever they accept equals encoding/json's result.

// fieldSet records which keys of an object were seen, to refuse repeats.
type fieldSet uint32

// first marks field bit n seen and reports whether it was new.
func (f *fieldSet) first(n uint) bool {
	if *f&(1<<n) != 0 {
		return false
	}
	*f |= 1 << n
	return true
}

// fastChange decodes a table-topic message value as DecodeChange's
// encoding/json path does, before its checks. Column values are slices of
// one copy of b, capped so that appending to one cannot touch another.
func fastChange(b []byte) (*Change, bool) {
	s := &scanner{b: bytes.Clone(b)}
	c := &Change{}
	var seen fieldSet
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "before":
			return seen.first(0) && s.row(&c.Before)
		case "after":
			return seen.first(1) && s.row(&c.After)
		case "op":
			return seen.first(2) && s.string((*string)(&c.Op))
		case "ts_ms":
			return seen.first(3) && s.nullOr(func() (ok bool) { c.TsMs, ok = s.int64(); return })
		case "source":
			return seen.first(4) && s.nullOr(func() bool { return s.source(&c.Source) })
		case "transaction":
			return seen.first(5) && s.nullOr(func() bool {
				c.Transaction = &Transaction{}
				return s.transaction(c.Transaction)
			})
		}
		return false
	})
	return c, ok && s.end()
}

// nullOr reads null, leaving the field as it is (encoding/json leaves a
// non-pointer field alone and a nil pointer nil), or else calls read.
func (s *scanner) nullOr(read func() bool) bool {
	return s.lit("null") || read()
}

// string reads a string or null into *dst.
func (s *scanner) string(dst *string) bool {
	return s.nullOr(func() bool {
		v, ok := s.str()
		*dst = string(v)
		return ok
	})
}

// name is string for values that repeat from message to message (table,
// topic and server names), which it interns.
func (s *scanner) name(dst *string) bool {
	return s.nullOr(func() bool {
		v, ok := s.str()
		*dst = names.intern(v)
		return ok
	})
}

// row reads a row image: null, or an object of raw column values. The map
// is sized exactly (encoding/json grows it); column names come from names.
func (s *scanner) row(dst *Row) bool {
	if s.lit("null") {
		return true
	}
	type column struct {
		name  string
		value []byte
	}
	var stack [32]column
	cols := stack[:0]
	if !s.object(func(k []byte) bool {
		v, ok := s.value()
		cols = append(cols, column{names.intern(k), v[:len(v):len(v)]})
		return ok
	}) {
		return false
	}
	r := make(Row, len(cols))
	for _, c := range cols {
		r[c.name] = json.RawMessage(c.value)
	}
	*dst = r
	return true
}

// names interns column names and the other strings name reads.
var names internTable

// internTable is a fixed-size, lock-free cache of strings: a name may sit in
// either of two neighbouring slots, so that two hot names hashed to one slot
// do not keep evicting each other.
type internTable [4096]atomic.Pointer[string]

// intern returns string(k), reusing a cached copy when there is one.
func (t *internTable) intern(k []byte) string {
	if len(k) > 64 {
		return string(k)
	}
	h := maphash.Bytes(internSeed, k)
	i := h % uint64(len(t)-1)
	a, b := &t[i], &t[i+1]
	pa, pb := a.Load(), b.Load()
	switch {
	case pa != nil && *pa == string(k):
		return *pa
	case pb != nil && *pb == string(k):
		return *pb
	}
	v := string(k)
	switch {
	case pa == nil:
		a.Store(&v)
	case pb == nil || h>>63 == 1:
		b.Store(&v)
	default:
		a.Store(&v)
	}
	return v
}

var internSeed = maphash.MakeSeed()

func (s *scanner) source(src *Source) bool {
	var seen fieldSet
	return s.object(func(k []byte) bool {
		switch string(k) {
		case "version":
			return seen.first(0) && s.name(&src.Version)
		case "connector":
			return seen.first(1) && s.name(&src.Connector)
		case "name":
			return seen.first(2) && s.name(&src.Name)
		case "ts_ms":
			return seen.first(3) && s.nullOr(func() (ok bool) { src.TsMs, ok = s.int64(); return })
		case "snapshot":
			return seen.first(4) && s.name(&src.Snapshot)
		case "db":
			return seen.first(5) && s.name(&src.DB)
		case "table":
			return seen.first(6) && s.name(&src.Table)
		case "server_id":
			return seen.first(7) && s.nullOr(func() bool { return s.uint32(&src.ServerID) })
		case "gtid":
			return seen.first(8) && s.nullOr(func() bool { src.GTID = new(string); return s.string(src.GTID) })
		case "file":
			return seen.first(9) && s.name(&src.File)
		case "pos":
			return seen.first(10) && s.nullOr(func() bool { return s.uint32(&src.Pos) })
		case "row":
			return seen.first(11) && s.nullOr(func() bool { n, ok := s.int64(); src.Row = int(n); return ok })
		case "thread":
			return seen.first(12) && s.nullOr(func() bool { src.Thread = new(uint32); return s.uint32(src.Thread) })
		case "query":
			return seen.first(13) && s.nullOr(func() bool { src.Query = new(string); return s.string(src.Query) })
		}
		return false
	})
}

func (s *scanner) uint32(dst *uint32) bool {
	n, ok := s.uint(32)
	*dst = uint32(n)
	return ok
}

func (s *scanner) uint64(dst *uint64) bool {
	return s.nullOr(func() (ok bool) { *dst, ok = s.uint(64); return })
}

func (s *scanner) transaction(t *Transaction) bool {
	var seen fieldSet
	return s.object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return seen.first(0) && s.string(&t.ID)
		case "total_order":
			return seen.first(1) && s.uint64(&t.TotalOrder)
		case "data_collection_order":
			return seen.first(2) && s.uint64(&t.DataCollectionOrder)
		case "seq":
			return seen.first(3) && s.string((*string)(&t.Seq))
		}
		return false
	})
}

// fastTxMarker decodes a transaction-topic message value as DecodeTxMarker's
// encoding/json path does, before its checks. Markers with a range or ddl
// block go to encoding/json.
func fastTxMarker(b []byte) (*TxMarker, bool) {
	s := &scanner{b: b}
	m := &TxMarker{}
	var seen fieldSet
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "status":
			return seen.first(0) && s.name(&m.Status)
		case "id":
			return seen.first(1) && s.string(&m.ID)
		case "ts_ms":
			return seen.first(2) && s.nullOr(func() (ok bool) { m.TsMs, ok = s.int64(); return })
		case "event_count":
			return seen.first(3) && s.uint64(&m.EventCount)
		case "data_collections":
			return seen.first(4) && s.nullOr(func() bool {
				m.DataCollections = []DataCollection{}
				return s.array(func() bool {
					m.DataCollections = append(m.DataCollections, DataCollection{})
					return s.dataCollection(&m.DataCollections[len(m.DataCollections)-1])
				})
			})
		case "seq":
			return seen.first(5) && s.string((*string)(&m.Seq))
		case "position":
			return seen.first(6) && s.nullOr(func() bool { return s.position(&m.Position) })
		case "partitions":
			return seen.first(7) && s.nullOr(func() bool {
				m.Partitions = make([]PartitionCount, 0, 4)
				return s.array(func() bool {
					m.Partitions = append(m.Partitions, PartitionCount{})
					return s.partitionCount(&m.Partitions[len(m.Partitions)-1])
				})
			})
		case "truncate":
			return seen.first(8) && s.nullOr(func() bool {
				m.Truncate = []string{}
				return s.array(func() bool {
					m.Truncate = append(m.Truncate, "")
					return s.string(&m.Truncate[len(m.Truncate)-1])
				})
			})
		case "snapshot":
			return seen.first(9) && s.nullOr(func() bool {
				m.Snapshot = s.lit("true")
				return m.Snapshot || s.lit("false")
			})
		case "range", "ddl":
			return s.lit("null") // a non-null block goes to encoding/json
		}
		return false
	})
	return m, ok && s.end()
}

func (s *scanner) dataCollection(d *DataCollection) bool {
	var seen fieldSet
	return s.nullOr(func() bool {
		return s.object(func(k []byte) bool {
			switch string(k) {
			case "data_collection":
				return seen.first(0) && s.name(&d.DataCollection)
			case "event_count":
				return seen.first(1) && s.uint64(&d.EventCount)
			}
			return false
		})
	})
}

func (s *scanner) position(p *Position) bool {
	var seen fieldSet
	return s.object(func(k []byte) bool {
		switch string(k) {
		case "file":
			return seen.first(0) && s.name(&p.File)
		case "pos":
			return seen.first(1) && s.uint64(&p.Pos)
		case "gtid":
			return seen.first(2) && s.string(&p.GTID)
		}
		return false
	})
}

func (s *scanner) partitionCount(p *PartitionCount) bool {
	var seen fieldSet
	return s.nullOr(func() bool {
		return s.object(func(k []byte) bool {
			switch string(k) {
			case "topic":
				return seen.first(0) && s.name(&p.Topic)
			case "partition":
				return seen.first(1) && s.nullOr(func() bool { n, ok := s.int64(); p.Partition = int(n); return ok })
			case "count":
				return seen.first(2) && s.uint64(&p.Count)
			}
			return false
		})
	})
}
