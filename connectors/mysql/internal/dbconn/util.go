package dbconn

import (
	"context"
	"time"
)

// metaQueryTimeout bounds a metadata query run under metaCtx.
const metaQueryTimeout = 30 * time.Second

// MetaCtx detaches a metadata query (information_schema, SHOW CREATE
// TABLE) from ctx's cancellation and bounds it by metaQueryTimeout instead:
// MariaDB 10.11 can crash when a client goes away in the middle of an
// information_schema query that spilled to an Aria temporary table
// (ha_maria::drop_table in Create_tmp_table::cleanup_on_failure), and a
// cancelled context makes the driver drop the connection mid-query. These
// queries take milliseconds, so shutdown waits at most for one of them.
func MetaCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), metaQueryTimeout)
}
