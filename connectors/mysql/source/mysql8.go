package source

import (
	"context"
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// MySQL 8 binlog forms that MariaDB does not write. They are tested on
// binlog files built byte by byte (mysql8_binlog_test.go), not on a MySQL
// server: none runs where sluice is tested.

// payload handles a compressed transaction (TRANSACTION_PAYLOAD_EVENT,
// binlog_transaction_compression=ON). go-mysql decompresses it and decodes
// the events inside (BEGIN, table maps, rows, XID); they go through handle
// in order, as if the transaction had been logged uncompressed. The GTID
// event stays outside the payload and has opened the transaction already.
//
// Positions: every inner event is placed at the payload event's start,
// the place a restart must read from to see its rows again, and the
// transaction ends at the payload event's end, the only resume point it
// has. MySQL writes the inner events with end position 0 and go-mysql
// stamps them relative to the payload, so their headers are replaced by
// the payload's end position and size here.
func (st *streamer) payload(ctx context.Context, h *replication.EventHeader, e *replication.TransactionPayloadEvent) error {
	where := st.where(h)
	if h.LogPos == 0 || h.LogPos < h.EventSize {
		return &connector.Fatal{Err: fmt.Errorf("binlog %s: a compressed transaction (TRANSACTION_PAYLOAD_EVENT) without an end position: "+
			"sluice cannot place its rows or record a resume point after it; set binlog_transaction_compression=OFF on the source", where)}
	}
	if len(e.Events) == 0 {
		return &connector.Fatal{Err: fmt.Errorf("binlog %s: a compressed transaction (TRANSACTION_PAYLOAD_EVENT) holding no events "+
			"(compression type %d, %d bytes uncompressed): stopping rather than skipping it", where, e.CompressionType, e.UncompressedSize)}
	}
	for i, inner := range e.Events {
		switch inner.Event.(type) {
		case *replication.RotateEvent, *replication.FormatDescriptionEvent, *replication.TransactionPayloadEvent,
			*replication.GTIDEvent, *replication.GtidTaggedLogEvent, *replication.PreviousGTIDsEvent:
			return &connector.Fatal{Err: fmt.Errorf("binlog %s: event %d of a compressed transaction is a %s, which MySQL does not compress: "+
				"stopping rather than guessing what it means", where, i+1, inner.Header.EventType)}
		}
		ih := *inner.Header
		ih.LogPos, ih.EventSize = h.LogPos, h.EventSize
		if err := st.handle(ctx, &replication.BinlogEvent{RawData: inner.RawData, Header: &ih, Event: inner.Event}); err != nil {
			return err
		}
	}
	if st.txOpen {
		return &connector.Fatal{Err: fmt.Errorf("binlog %s: a compressed transaction (TRANSACTION_PAYLOAD_EVENT) does not end with a commit: "+
			"its end is not a safe resume point; set binlog_transaction_compression=OFF on the source", where)}
	}
	return nil
}
