package value

import (
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
)

// ConfigureSyncer sets the BinlogSyncerConfig options that FromBinlog relies
// on; the source calls it before replication.NewBinlogSyncer:
//
//   - UseDecimal=false: DECIMAL arrives as its exact text, not a
//     decimal.Decimal.
//   - ParseTime=false: DATE, DATETIME, TIMESTAMP and TIME arrive as text,
//     zero dates included ("0000-00-00 00:00:00" has no time.Time).
//   - TimestampStringLocation=time.UTC: TIMESTAMP text is in UTC, as the
//     snapshot session (time_zone '+00:00') prints it. The default would
//     print it in the sluice host's local zone.
//   - UseFloatWithTrailingZero=false: FLOAT and DOUBLE arrive as float32 and
//     float64.
//   - RenderJSONAsMySQLText=true: a MySQL binary JSON document is rendered
//     with its stored key order, its doubles kept as doubles (1.0 stays
//     1.0) and its strings byte for byte. MariaDB stores JSON as text and
//     is not affected.
//
// It leaves connection, position and retry settings alone.
func ConfigureSyncer(cfg *replication.BinlogSyncerConfig) {
	cfg.UseDecimal = false
	cfg.ParseTime = false
	cfg.TimestampStringLocation = time.UTC
	cfg.UseFloatWithTrailingZero = false
	cfg.RenderJSONAsMySQLText = true
}
