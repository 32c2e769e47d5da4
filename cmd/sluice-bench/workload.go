package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
)

// workload generates writes on the source. Every workload's tables live in
// the databases dbs and are created, empty, by ddl before sluice pins its
// start position (tables that appear later would be copied by an
// incremental snapshot instead of streamed); gen returns the source
// transactions it committed.
type workload struct {
	describe string
	dbs      []string
	ddl      string
	gen      func(src *server) (int64, error)
}

// workloads returns the workloads by name, sized by c.
func workloads(c config) map[string]workload {
	return map[string]workload{
		"insert": {
			describe: fmt.Sprintf("insert burst: %d rows in 1,000-row transactions (one multi-row INSERT each)", c.insertRows),
			dbs:      []string{"bench"},
			ddl:      burstDDL,
			gen:      func(src *server) (int64, error) { return insertBurst(src.db, c.insertRows) },
		},
		"single": {
			describe: fmt.Sprintf("%d single-row INSERT transactions from %d clients", c.singleTxs, c.clients),
			dbs:      []string{"bench"},
			ddl:      singleDDL,
			gen:      func(src *server) (int64, error) { return singleRows(src.db, c.singleTxs, c.clients) },
		},
		"update": {
			describe: fmt.Sprintf("update-heavy mix on a 20-column table: %d rows loaded, then %d transactions from %d clients (80%% one-row UPDATE of 3 columns, 10%% 5-row range UPDATE, 5%% INSERT, 5%% DELETE)", c.updateRows, c.updateTxs, c.clients),
			dbs:      []string{"bench"},
			ddl:      "CREATE TABLE bench.wide (id BIGINT PRIMARY KEY, " + wideCols + ")",
			gen:      func(src *server) (int64, error) { return updateMix(src.db, c.updateRows, c.updateTxs, c.clients) },
		},
		"wide": {
			describe: fmt.Sprintf("wide rows: %d rows of 4-64 KiB (JSON + MEDIUMTEXT) in 10-row transactions, then %d one-row UPDATEs of them from %d clients", c.wideRows, c.wideUpdates, c.clients),
			dbs:      []string{"bench"},
			ddl:      docsDDL,
			gen:      func(src *server) (int64, error) { return wideRows(src.db, c.wideRows, c.wideUpdates, c.clients) },
		},
		"sysbench": {
			describe: fmt.Sprintf("sysbench oltp_write_only, %d tables of %d rows (loaded like its prepare, 1,000-row transactions, replayed too), 2 threads for %s", c.sysbenchTabs, c.sysbenchSize, c.sysbenchTime),
			dbs:      []string{"bench", "sbtest"},
			ddl:      sysbenchDDL(c.sysbenchTabs),
			gen:      func(src *server) (int64, error) { return sysbench(src, c) },
		},
	}
}

// schema is created first on every source: the marker table, written once
// as the source's last transaction, tells that a replica has caught up.
const schema = `CREATE DATABASE bench;
CREATE TABLE bench.marker (id INT PRIMARY KEY, at DATETIME(6) NOT NULL)`

const burstDDL = `CREATE TABLE bench.burst (id BIGINT PRIMARY KEY, k INT NOT NULL, label VARCHAR(64) NOT NULL,
	price DECIMAL(12,2) NOT NULL, created DATETIME NOT NULL, note VARCHAR(255) NOT NULL)`

// insertBurst inserts rows in transactions of 1,000 rows.
func insertBurst(db *sql.DB, rows int) (int64, error) {
	var txs int64
	var b strings.Builder
	for id := 1; id <= rows; {
		b.Reset()
		b.WriteString("INSERT INTO bench.burst VALUES ")
		for n := 0; n < 1000 && id <= rows; n, id = n+1, id+1 {
			if n > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,%d,'item %d',%d.%02d,'2025-01-02 03:04:05','%s')", id, id%1000, id, id%10000, id%100, strings.Repeat("n", 40+id%60))
		}
		if _, err := db.Exec(b.String()); err != nil {
			return txs, err
		}
		txs++
	}
	return txs, nil
}

// parallel runs fn(client, i) for i in [0, n) spread over clients
// goroutines, stopping at the first error.
func parallel(n, clients int, fn func(client, i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(c, i); err != nil {
					errs <- err
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

const singleDDL = `CREATE TABLE bench.single (id BIGINT PRIMARY KEY, k INT NOT NULL, label VARCHAR(64) NOT NULL,
	amount DECIMAL(12,2) NOT NULL, created DATETIME NOT NULL)`

// singleRows commits txs single-row INSERT transactions (autocommit).
func singleRows(db *sql.DB, txs, clients int) (int64, error) {
	err := parallel(txs, clients, func(_, i int) error {
		_, err := db.Exec("INSERT INTO bench.single VALUES (?, ?, ?, ?, '2025-01-02 03:04:05')", i+1, i%977, fmt.Sprintf("row %d", i), float64(i%10000)/100)
		return err
	})
	return int64(txs), err
}

// wideCols are the 19 non-key columns of the update table.
const wideCols = `c1 INT NOT NULL, c2 INT NOT NULL, c3 BIGINT NOT NULL, c4 VARCHAR(32) NOT NULL, c5 VARCHAR(64) NOT NULL,
	c6 DECIMAL(12,2) NOT NULL, c7 DATETIME NOT NULL, c8 DATE NOT NULL, c9 DOUBLE NOT NULL, c10 TINYINT NOT NULL,
	c11 VARCHAR(100) NULL, c12 INT NULL, c13 CHAR(8) NOT NULL, c14 SMALLINT NOT NULL, c15 VARCHAR(200) NOT NULL,
	c16 BIGINT NOT NULL, c17 DECIMAL(8,3) NOT NULL, c18 TIMESTAMP(3) NOT NULL DEFAULT '2025-01-01 00:00:00', c19 TEXT NOT NULL`

// wideRow is the VALUES tuple of row id.
func wideRow(id int) string {
	return fmt.Sprintf("(%d,%d,%d,%d,'s%d','label %d',%d.%02d,'2025-01-02 03:04:05','2025-01-02',%d.5,%d,%s,%d,'ch%d',%d,'%s',%d,%d.125,'2025-01-02 03:04:05.678','%s')",
		id, id%100, id%1000, int64(id)*1000, id, id, id%1000, id%100, id, id%100, nullable(id), id%50, id%100000, id%300,
		strings.Repeat("v", 20+id%80), int64(id)*7, id%1000, strings.Repeat("t", 50+id%150))
}

func nullable(id int) string {
	if id%3 == 0 {
		return "NULL"
	}
	return fmt.Sprintf("'opt %d'", id)
}

// updateMix loads rows into a 20-column table, then runs txs transactions
// of the update-heavy mix.
func updateMix(db *sql.DB, rows, txs, clients int) (int64, error) {
	var n int64
	var b strings.Builder
	for id := 1; id <= rows; {
		b.Reset()
		b.WriteString("INSERT INTO bench.wide VALUES ")
		for k := 0; k < 1000 && id <= rows; k, id = k+1, id+1 {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(wideRow(id))
		}
		if _, err := db.Exec(b.String()); err != nil {
			return n, err
		}
		n++
	}
	var nextID atomic.Int64
	nextID.Store(int64(rows))
	rngs := make([]*rand.Rand, clients)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(uint64(i), 42))
	}
	err := parallel(txs, clients, func(c, i int) error {
		rng := rngs[c]
		id := 1 + rng.IntN(rows)
		var err error
		switch p := rng.IntN(100); {
		case p < 80:
			_, err = db.Exec("UPDATE bench.wide SET c2 = c2 + 1, c5 = ?, c9 = c9 + 0.25 WHERE id = ?", fmt.Sprintf("upd %d", i), id)
		case p < 90:
			_, err = db.Exec("UPDATE bench.wide SET c1 = c1 + 1, c16 = c16 + 1 WHERE id BETWEEN ? AND ?", id, id+4)
		case p < 95:
			_, err = db.Exec("INSERT INTO bench.wide VALUES " + wideRow(int(nextID.Add(1))))
		default:
			_, err = db.Exec("DELETE FROM bench.wide WHERE id = ?", id)
		}
		return err
	})
	return n + int64(txs), err
}

// sysbenchDDL creates sysbench's tables as its prepare step would
// (oltp_common.lua), so that they exist before sluice pins its position.
func sysbenchDDL(tables int) string {
	var b strings.Builder
	b.WriteString("CREATE DATABASE sbtest")
	for i := 1; i <= tables; i++ {
		fmt.Fprintf(&b, ";\nCREATE TABLE sbtest.sbtest%d (id INT NOT NULL AUTO_INCREMENT, k INT NOT NULL DEFAULT 0, "+
			"c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id), KEY k_%d (k))", i, i)
	}
	return b.String()
}

// sysbench loads the sysbench tables (as `sysbench prepare` would; the
// tables exist already) and runs `sysbench oltp_write_only` on the source.
func sysbench(src *server, c config) (int64, error) {
	args := []string{"oltp_write_only", "--db-driver=mysql", "--mysql-host=127.0.0.1",
		fmt.Sprintf("--mysql-port=%d", src.Port), "--mysql-user=root", "--mysql-password=", "--mysql-db=sbtest",
		fmt.Sprintf("--tables=%d", c.sysbenchTabs), fmt.Sprintf("--table-size=%d", c.sysbenchSize)}
	var txs int64
	for t := 1; t <= c.sysbenchTabs; t++ {
		var b strings.Builder
		for id := 1; id <= c.sysbenchSize; {
			b.Reset()
			fmt.Fprintf(&b, "INSERT INTO sbtest.sbtest%d (id, k, c, pad) VALUES ", t)
			for n := 0; n < 1000 && id <= c.sysbenchSize; n, id = n+1, id+1 {
				if n > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "(%d,%d,'%s','%s')", id, rand.IntN(c.sysbenchSize)+1, sbString(10), sbString(5))
			}
			if _, err := src.db.Exec(b.String()); err != nil {
				return txs, err
			}
			txs++
		}
	}
	for _, step := range [][]string{
		{"--threads=2", fmt.Sprintf("--time=%d", int(c.sysbenchTime.Seconds())), "--report-interval=0", "run"},
	} {
		cmd := exec.Command("sysbench", append(append([]string(nil), args...), step...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("sysbench %s: %v\n%s", step[len(step)-1], err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "transactions:") || strings.Contains(l, "queries:") {
				fmt.Fprintln(os.Stdout, "  sysbench:", strings.TrimSpace(l))
			}
		}
	}
	var commits int64
	err := src.db.QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'").Scan(&commits)
	return txs + commits, err
}

// sbString returns groups of 11 random digits joined by '-', as sysbench's
// c and pad columns hold.
func sbString(groups int) string {
	var b strings.Builder
	for g := 0; g < groups; g++ {
		if g > 0 {
			b.WriteByte('-')
		}
		for i := 0; i < 11; i++ {
			b.WriteByte(byte('0' + rand.IntN(10)))
		}
	}
	return b.String()
}

const docsDDL = `CREATE TABLE bench.docs (id BIGINT PRIMARY KEY, kind VARCHAR(16) NOT NULL, doc JSON NOT NULL,
	body MEDIUMTEXT NOT NULL, updated DATETIME(6) NOT NULL)`

// wideDoc returns a JSON document and a text of about size bytes together.
func wideDoc(rng *rand.Rand, id, size int) (string, string) {
	chunk := make([]byte, 64)
	for i := range chunk {
		chunk[i] = byte('a' + rng.IntN(26))
	}
	n := size / 2
	doc := fmt.Sprintf(`{"id": %d, "tags": ["t%d", "t%d"], "score": %d.5, "payload": "%s"}`,
		id, id%7, id%13, id%1000, strings.Repeat(string(chunk), n/64))
	return doc, strings.Repeat(string(chunk[:32]), (size-n)/32)
}

// wideRows inserts rows of 4-64 KiB (a JSON document and a MEDIUMTEXT,
// sizes uniform) in transactions of 10 rows, then updates updates of them
// one by one (a new text of a new size and one JSON field: both images of
// the row are in the binlog).
func wideRows(db *sql.DB, rows, updates, clients int) (int64, error) {
	rng := rand.New(rand.NewPCG(7, 42))
	size := func() int { return 4<<10 + rng.IntN(60<<10) }
	var txs int64
	for id := 1; id <= rows; txs++ {
		q := "INSERT INTO bench.docs VALUES "
		var args []any
		for n := 0; n < 10 && id <= rows; n, id = n+1, id+1 {
			if n > 0 {
				q += ","
			}
			q += "(?, ?, ?, ?, NOW(6))"
			doc, body := wideDoc(rng, id, size())
			args = append(args, id, fmt.Sprintf("kind%d", id%5), doc, body)
		}
		if _, err := db.Exec(q, args...); err != nil {
			return txs, err
		}
	}
	rngs := make([]*rand.Rand, clients)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(uint64(i), 43))
	}
	err := parallel(updates, clients, func(c, i int) error {
		r := rngs[c]
		_, body := wideDoc(r, i, 4<<10+r.IntN(60<<10))
		_, err := db.Exec("UPDATE bench.docs SET body = ?, doc = JSON_SET(doc, '$.score', ?), updated = NOW(6) WHERE id = ?",
			body, i, 1+r.IntN(rows))
		return err
	})
	return txs + int64(updates), err
}
