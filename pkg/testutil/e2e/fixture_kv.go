package e2e

import (
	"database/sql"
	"testing"
	"time"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// KVSchema is a small fixture for binlog edge cases: shop.kv with a BLOB
// and a NOT NULL column, and other.log, a table sluice does not capture.
const KVSchema = `CREATE DATABASE shop;
CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(64) NULL, b BLOB NULL, n INT NOT NULL DEFAULT 0);
CREATE DATABASE other;
CREATE TABLE other.log (id INT PRIMARY KEY, v VARCHAR(64) NULL)`

// KVPipeline starts a source server with opts holding KVSchema and two
// rows of shop.kv, a replica, and one `sluice run` capturing shop.*, and
// waits for the snapshot of shop.kv on the replica.
func KVPipeline(t testing.TB, opts mariadbtest.Options) (sdb, ddb *sql.DB, p *Proc) {
	t.Helper()
	src, dst := mariadbtest.Start(t, opts), mariadbtest.Start(t, mariadbtest.Options{})
	sdb, ddb = src.DB(t), dst.DB(t)
	ExecAll(t, sdb, KVSchema)
	MustExec(t, sdb, "INSERT INTO shop.kv VALUES (1, 'a', 'blob', 1), (2, 'b', NULL, 2)")
	cfg, _ := WriteConfig(t, t.TempDir(), src, dst, false)
	p = StartProc(t, "sluice.log", "run", "--config", cfg)
	WaitEqual(t, sdb, ddb, 60*time.Second, []*Proc{p}, "shop.kv")
	return sdb, ddb, p
}
