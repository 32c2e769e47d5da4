package source

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/binlog"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
	"github.com/sluice-cdc/sluice/pkg/kafka"
)

// Failover: the source server was replaced by one of its replicas (see
// doc.go). resolveServer runs after the checkpoint is loaded and before
// anything reads the recorded position: when the server is not the one
// the position was recorded on, it translates the position into the new
// server's binlog by GTID, or refuses.

// seqAt returns the Seq of a position in the current server's binlog:
// its file number raised by the source's seq base (zero until the first
// failover), so Seqs keep growing across servers.
func (s *Source) seqAt(file string, pos, Chunk uint64) (event.Seq, error) {
	n, err := event.BinlogFileNumber(file)
	if err != nil {
		return "", err
	}
	return event.MakeSeq(s.seqBase+n, pos, Chunk), nil
}

// serverChanged reports whether the server is not the one st was recorded
// on, and names both. A checkpoint without an identity (an older sluice)
// counts as recorded here.
func (s *Source) serverChanged(st *checkpoint.SourceState) (bool, string) {
	was := fmt.Sprintf("%s server_id %d", st.Flavor, st.ServerID)
	now := fmt.Sprintf("%s server_id %d", s.info.Flavor, s.info.ServerID)
	if st.ServerUUID != "" || s.info.UUID != "" {
		was += " server_uuid " + st.ServerUUID
		now += " server_uuid " + s.info.UUID
	}
	names := fmt.Sprintf("recorded on %s, now %s", was, now)
	switch {
	case st.Flavor != "" && st.Flavor != s.info.Flavor:
		return true, names
	case st.ServerUUID != "":
		return st.ServerUUID != s.info.UUID, names
	case st.ServerID != 0:
		return st.ServerID != s.info.ServerID, names
	}
	return false, names
}

// resolveServer returns the state to resume from. On the recorded server
// it is st. On another server it is st moved to the new server: the
// position where the new server's binlog passes the GTID set sluice
// published up to, the new identity, and a seq base above every Seq
// published so far; it is saved before it is returned. It refuses (a
// connector.Fatal) a server without GTIDs or one lacking GTIDs sluice
// already published, naming them.
func (s *Source) resolveServer(ctx context.Context, st *checkpoint.SourceState) (*checkpoint.SourceState, error) {
	s.seqBase, s.historyAt = 0, "" // Run may start again after a failover
	if st == nil {
		return nil, nil
	}
	s.seqBase = st.SeqBase
	changed, names := s.serverChanged(st)
	if !changed || st.Position.File == "" {
		return st, nil
	}
	fail := func(format string, args ...any) error {
		return &connector.Fatal{Err: fmt.Errorf("source %s: the server at %s is not the one the position was recorded on (%s): "+format,
			append([]any{s.cfg.Name, s.dbCfg.Addr, names}, args...)...)}
	}
	last, err := s.lastPublished(ctx)
	if err != nil {
		return nil, err
	}
	want, histAt := st.Position.GTID, st.Position
	if last.marker != nil && st.Seq.Less(last.marker.Seq) && last.marker.Position.GTID != "" {
		// Published after the last recorded position (the source stopped
		// before recording it): the new server must have it, and it is not
		// read again (it would get new Seqs, and sinks would apply it twice).
		want, histAt = last.marker.Position.GTID, last.marker.Position
	}
	if want == "" {
		return nil, fail("the position carries no GTID set, and binlog coordinates of one server mean nothing on another. " +
			"Point the source back at the recorded server; or enable GTIDs (MySQL: gtid_mode=ON and enforce_gtid_consistency=ON; MariaDB always has them) " +
			"and start the pipeline over with a new snapshot (new pipeline name, or delete its topics)")
	}
	have, err := serverGTIDs(ctx, s.db, s.info.Flavor)
	if err != nil {
		return nil, fail("%v", err)
	}
	wantSet, err := binlog.ParseGTIDs(s.info.Flavor, want)
	if err != nil {
		return nil, fail("recorded GTID set %q: %v", want, err)
	}
	if miss := binlog.MissingGTIDs(wantSet, have); len(miss) > 0 {
		return nil, fail("it lacks transactions sluice already published: GTID %s missing (sluice published up to %s; the server has %s). "+
			"It is a replica that has not applied them yet: wait until it has (MariaDB: SELECT MASTER_GTID_WAIT('%s'); MySQL: "+
			"SELECT WAIT_FOR_EXECUTED_GTID_SET('%s')) and start the source again; or point the source at a server that has them. "+
			"If they are lost for good, the replicas hold changes the source no longer has: start the pipeline over with a new snapshot",
			strings.Join(miss, "; "), want, have, want, want)
	}
	pos, err := binlog.GTIDPosition(ctx, s.db, s.info.Flavor, wantSet)
	if err != nil {
		return nil, fail("cannot find where its binlog passes GTID %s: %v. Start the pipeline over with a new snapshot", want, err)
	}
	return s.moveTo(ctx, st, last, pos, histAt)
}

// moveTo records st as resuming at pos on the current server, with a seq
// base above every Seq published so far, and saves it.
func (s *Source) moveTo(ctx context.Context, st *checkpoint.SourceState, last published, pos, histAt event.Position) (*checkpoint.SourceState, error) {
	top := max(st.Seq, st.SnapshotSeq, last.schema)
	if last.marker != nil {
		top = max(top, last.marker.Seq)
	}
	topFile, _, _, ok := splitSeq(top)
	if !ok && top != "" {
		return nil, fmt.Errorf("source %s: failover: the highest Seq published, %q, cannot be parsed", s.cfg.Name, top)
	}
	next := *st
	next.Position = pos
	if histAt != st.Position {
		next.Seq = last.marker.Seq
	}
	next.SeqBase = topFile + 1 // a file number is at least 1: every new Seq is above top
	next.ServerID, next.ServerUUID, next.Flavor, next.DomainID = s.info.ServerID, s.info.UUID, s.info.Flavor, s.info.DomainID
	if err := s.store.Save(ctx, s.cfg.Name, next); err != nil {
		return nil, err
	}
	// The schema history is rebuilt as of the old server's position, in
	// the old server's Seqs (initSchema).
	n, err := event.BinlogFileNumber(histAt.File)
	if err != nil {
		return nil, err
	}
	s.historyAt = event.MakeSeq(st.SeqBase+n, histAt.Pos, 0)
	s.seqBase = next.SeqBase
	s.log.Warn("source server changed: following it by GTID", "from", st.Position.String(), "to", pos.String(),
		"gtid", pos.GTID, "seq_base", next.SeqBase, "server", s.dbCfg.Addr)
	return &next, nil
}

// serverGTIDs returns the GTIDs in the server's binlog: @@gtid_binlog_pos
// on MariaDB, @@gtid_executed on MySQL (an error when gtid_mode is not ON).
func serverGTIDs(ctx context.Context, db *sql.DB, flavor string) (gomysql.GTIDSet, error) {
	var v sql.NullString
	if flavor != "mariadb" {
		var mode sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_mode").Scan(&mode); err != nil {
			return nil, fmt.Errorf("read gtid_mode: %w", err)
		}
		if !strings.EqualFold(mode.String, "ON") {
			return nil, fmt.Errorf("its gtid_mode is %s: without GTIDs sluice cannot tell where to resume on it. "+
				"Set gtid_mode=ON (and enforce_gtid_consistency=ON), or point the source back at the recorded server", mode.String)
		}
	}
	q := "SELECT @@GLOBAL.gtid_binlog_pos"
	if flavor != "mariadb" {
		q = "SELECT @@GLOBAL.gtid_executed"
	}
	if err := db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	return binlog.ParseGTIDs(flavor, v.String)
}

// published is what the source published last, whatever it recorded.
type published struct {
	marker *event.TxMarker // the last transaction marker; nil: none
	schema event.Seq       // the Seq of the last schema record; "": none
}

// lastPublished reads the last records of the transaction and schema
// topics.
func (s *Source) lastPublished(ctx context.Context) (published, error) {
	var out published
	b, err := lastRecord(ctx, s.env.Kafka, s.topics.Transaction())
	if err != nil {
		return out, err
	}
	if b != nil {
		if out.marker, err = event.DecodeTxMarker(b); err != nil {
			return out, err
		}
		if out.marker.Status != "END" {
			out.marker = nil
		}
	}
	if b, err = lastRecord(ctx, s.env.Kafka, s.topics.Schema()); err != nil || b == nil {
		return out, err
	}
	var rec event.SchemaRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return out, fmt.Errorf("schema topic %s: %w", s.topics.Schema(), err)
	}
	out.schema = rec.Seq
	return out, nil
}

// lastRecord returns the value of the last record of partition 0 of
// topic, or nil when it has none.
func lastRecord(ctx context.Context, c *kafka.Client, topic string) ([]byte, error) {
	first, end, err := c.Offsets(ctx, topic, 0)
	if err != nil || end <= first {
		return nil, err
	}
	r, err := c.NewPartitionReader(ctx, topic, 0, end-1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rec, err := r.Fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the last record of %s: %w", topic, err)
	}
	if rec.Value == nil {
		return nil, errors.New("empty record at the end of " + topic)
	}
	return rec.Value, nil
}
