package verify

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/catalog"
	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/connectors/mysql/sink"
	"github.com/sluice-cdc/sluice/pkg/checkpoint"
	"github.com/sluice-cdc/sluice/pkg/config"
	"github.com/sluice-cdc/sluice/pkg/connector"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// verifier holds what one Verify call shares between tables.
type verifier struct {
	sink     *sink.Config
	opts     connector.VerifyOptions
	src, rep *sql.DB
	fence    *fence
	log      *slog.Logger

	done, total    atomic.Int64 // rows compared, estimated rows in all tables
	start, lastLog time.Time
}

// sourceFilter is the filter of the tables source captures.
func sourceFilter(source *config.Connector) catalog.Filter {
	return catalog.Filter(sink.SourceTables(source))
}

// Verify compares sink's replica with the tables of its source in cfg, table
// by table, and returns one connector.TableResult per table. It returns an error only
// when it cannot start (a DSN, a connection, listing tables); a table that
// cannot be compared has its Err set. A sink that stops advancing while
// Verify waits for it fails the table with connector.ErrSinkNotAdvancing. Verify only
// reads, unless opts.Repair. It is safe to run while the pipeline runs.
func Verify(ctx context.Context, cfg *config.Config, sink *sink.Config, opts connector.VerifyOptions) (*connector.VerifyResult, error) {
	if !sink.IsSink() {
		return nil, fmt.Errorf("%s is a %s, not a mysql-sink", sink.Name, sink.Type)
	}
	source := cfg.Connector(sink.Source)
	if source == nil {
		return nil, fmt.Errorf("sink %s: source %s not in the config", sink.Name, sink.Source)
	}
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = config.DefaultVerifyChunkRows
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = config.DefaultVerifyMaxWait
	}
	if opts.Examples <= 0 {
		opts.Examples = 5
	}
	v := &verifier{sink: sink, opts: opts, log: opts.Logger, start: time.Now(), lastLog: time.Now()}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	v.log = v.log.With("sink", sink.Name)
	var err error
	if v.src, _, err = dbconn.Open(ctx, source.DSN, 4); err != nil {
		return nil, fmt.Errorf("sink %s: source %s: %w", sink.Name, source.Name, err)
	}
	defer v.src.Close()
	if v.rep, _, err = dbconn.Open(ctx, dbconn.WithSinkParams(sink.DSN), 4); err != nil {
		return nil, fmt.Errorf("sink %s: replica %w", sink.Name, err)
	}
	defer v.rep.Close()
	v.fence = &fence{src: v.src, rep: v.rep, ck: checkpointOf(cfg, sink), filter: sourceFilter(source), maxWait: opts.MaxWait}
	if opts.Kafka != nil {
		v.fence.seqBase = func(ctx context.Context) (uint64, error) {
			kctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			store, err := checkpoint.Open(kctx, opts.Kafka, event.Topics{Pipeline: cfg.Name, Source: source.Name}.Offsets())
			var st *checkpoint.SourceState
			if err == nil {
				st, err = store.Load(kctx, source.Name)
			}
			if err != nil {
				// Without it verify works as before a failover, and refuses
				// to wait for a sink past one.
				v.log.Warn("cannot read the source's checkpoint from Kafka; assuming the source never failed over", "err", err)
				return 0, nil
			}
			if st == nil {
				return 0, nil
			}
			return st.SeqBase, nil
		}
	}
	names, err := v.tables(ctx, sourceFilter(source))
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sink.Name, err)
	}
	res := &connector.VerifyResult{Sink: sink.Name}
	v.log.Info("verify started", "tables", len(names), "estimated_rows", v.total.Load())
	for _, n := range names {
		tr := v.table(ctx, n)
		res.Rows += tr.Rows
		res.Tables = append(res.Tables, tr)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	res.Duration = time.Since(v.start)
	v.log.Info("verify done", "tables", len(names), "rows", res.Rows, "seconds", res.Duration.Seconds(),
		"rows_per_s", int(float64(res.Rows)/max(res.Duration.Seconds(), 1e-3)))
	return res, nil
}

// tableName is a table to compare: its source name, its replica name (by
// the sink's routes) and where it exists.
type tableName struct {
	db, table    string
	rdb, rtable  string
	onSrc, onRep bool
}

// tables lists the captured tables that opts.Tables selects: every source
// table, with its replica table by the sink's routes, and, for a sink
// without routes, the captured tables only the replica has. The sink's
// checkpoint database is never compared.
func (v *verifier) tables(ctx context.Context, captured catalog.Filter) ([]tableName, error) {
	rep, err := catalog.ListTables(ctx, v.rep, catalog.Filter{"*.*"})
	if err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	// Listed after the replica, so that a table created on the source
	// meanwhile does not look like one only the replica has.
	src, err := catalog.ListTables(ctx, v.src, captured)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	onRep := map[[2]string]bool{}
	for _, n := range rep {
		onRep[n] = true
	}
	targets := map[[2]string]bool{}
	var out []tableName
	for _, n := range src {
		rdb, rt := sink.Route(v.sink.Routes, n[0], n[1])
		targets[[2]string{rdb, rt}] = true
		if v.selected(n) {
			out = append(out, tableName{db: n[0], table: n[1], rdb: rdb, rtable: rt, onSrc: true, onRep: onRep[[2]string{rdb, rt}]})
		}
	}
	for _, n := range rep {
		if len(v.sink.Routes) == 0 && !targets[n] && n[0] != v.sink.CheckpointDB && captured.Match(n[0], n[1]) && v.selected(n) {
			out = append(out, tableName{db: n[0], table: n[1], rdb: n[0], rtable: n[1], onRep: true})
		}
	}
	if len(v.opts.Tables) > 0 && len(out) == 0 {
		return nil, fmt.Errorf("--table %s: no captured table matches on the source or the replica", strings.Join(v.opts.Tables, ", "))
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].db < out[j].db || out[i].db == out[j].db && out[i].table < out[j].table
	})
	for _, n := range out {
		var est int64
		_ = v.src.QueryRowContext(ctx, "SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
			n.db, n.table).Scan(&est)
		v.total.Add(est)
	}
	return out, nil
}

func (v *verifier) selected(n [2]string) bool {
	if len(v.opts.Tables) == 0 {
		return true
	}
	for _, p := range v.opts.Tables {
		dp, tp, ok := strings.Cut(p, ".")
		if !ok {
			continue
		}
		if m, _ := path.Match(dp, n[0]); m {
			if m, _ := path.Match(tp, n[1]); m {
				return true
			}
		}
	}
	return false
}

// progress counts rows compared and logs, every 10s, the rate and the time
// left by the estimated total.
func (v *verifier) progress(rows int64) {
	done := v.done.Add(rows)
	if time.Since(v.lastLog) < 10*time.Second {
		return
	}
	v.lastLog = time.Now()
	rate := float64(done) / time.Since(v.start).Seconds()
	args := []any{"rows", done, "estimated_rows", v.total.Load(), "rows_per_s", int(rate)}
	if left := v.total.Load() - done; left > 0 && rate > 0 {
		args = append(args, "left", (time.Duration(float64(left)/rate) * time.Second).Round(time.Second))
	}
	v.log.Info("verify progress", args...)
}
