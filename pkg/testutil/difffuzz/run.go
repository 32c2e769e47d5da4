package difffuzz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/go-sql-driver/mysql"
)

// Exec runs s on one session of db. An error means the server refused it
// (a generated statement may be invalid): a transaction is rolled back,
// and nothing of s is in the binlog unless a DDL before the error
// committed (the caller re-reads the catalog either way).
func Exec(ctx context.Context, db *sql.DB, s Stmt) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer conn.ExecContext(context.Background(), "SET SESSION sql_mode = DEFAULT") //nolint:errcheck // best effort before the pool reuses it
	for _, q := range s.Session {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	for _, q := range s.SQL {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// Stats counts statements by class: tried, taken by the source, refused
// by it (with the most common reasons), and the further classes the taken
// ones exercised.
type Stats struct {
	Tried, Taken map[string]int
	Refused      map[string]map[string]int // class -> error code -> count
	Compared     int                       // table comparisons made
	Quarantined  map[string]string         // tables sluice quarantined -> why (not compared)
	Divergences  int
	Rounds       int
}

// NewStats returns empty counts.
func NewStats() *Stats {
	return &Stats{Tried: map[string]int{}, Taken: map[string]int{}, Refused: map[string]map[string]int{}, Quarantined: map[string]string{}}
}

// Quarantine notes that sluice quarantined table, and why.
func (st *Stats) Quarantine(table, why string) { st.Quarantined[table] = why }

// Note counts s and the outcome of running it.
func (st *Stats) Note(s Stmt, err error) {
	st.Tried[s.Class]++
	if err != nil {
		code := "other"
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			code = fmt.Sprint(me.Number)
		}
		if st.Refused[s.Class] == nil {
			st.Refused[s.Class] = map[string]int{}
		}
		st.Refused[s.Class][code]++
		return
	}
	st.Taken[s.Class]++
	for _, x := range s.Extra {
		st.Taken["+"+x]++
	}
}

// Table prints the class table: tried, taken and refused (top error codes)
// per class, then the features exercised by taken statements.
func (st *Stats) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CLASS\tTRIED\tTAKEN\tREFUSED BY THE SOURCE (error: count)")
	for _, c := range Classes {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", c.Name, st.Tried[c.Name], st.Taken[c.Name], topCodes(st.Refused[c.Name]))
	}
	var feats []string
	for k := range st.Taken {
		if strings.HasPrefix(k, "+") {
			feats = append(feats, k)
		}
	}
	sort.Strings(feats)
	for _, f := range feats {
		fmt.Fprintf(w, "%s\t\t%d\t\n", f, st.Taken[f])
	}
	w.Flush()
	fmt.Fprintf(&b, "rounds %d, table comparisons %d, tables quarantined %d, divergences %d\n",
		st.Rounds, st.Compared, len(st.Quarantined), st.Divergences)
	names := make([]string, 0, len(st.Quarantined))
	for n := range st.Quarantined {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  quarantined %s: %s\n", n, st.Quarantined[n])
	}
	return b.String()
}

// Missing returns the classes never taken by the source: a generator that
// does not exercise a class finds nothing in it.
func (st *Stats) Missing() []string {
	var out []string
	for _, c := range Classes {
		if st.Taken[c.Name] == 0 {
			out = append(out, c.Name)
		}
	}
	return out
}

func topCodes(m map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var xs []kv
	for k, v := range m {
		xs = append(xs, kv{k, v})
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i].v > xs[j].v || xs[i].v == xs[j].v && xs[i].k < xs[j].k })
	var parts []string
	for i, x := range xs {
		if i == 4 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %d", x.k, x.v))
	}
	return strings.Join(parts, ", ")
}
