package difffuzz

import "time"

// Minimize returns a shortest-found subsequence of stmts for which fails
// still holds, by delta debugging (ddmin): it tries dropping chunks of
// halving size and keeps every drop after which the failure remains. It
// stops refining when budget is spent and returns the best so far. fails
// must replay the statements on fresh servers and report whether the
// divergence (or stop) is still there.
func Minimize(stmts []Stmt, fails func([]Stmt) bool, budget time.Duration) []Stmt {
	deadline := time.Now().Add(budget)
	cur := append([]Stmt(nil), stmts...)
	n := 2
	for len(cur) >= 2 && time.Now().Before(deadline) {
		chunk := (len(cur) + n - 1) / n
		reduced := false
		for start := 0; start < len(cur) && time.Now().Before(deadline); start += chunk {
			end := min(start+chunk, len(cur))
			candidate := append(append([]Stmt(nil), cur[:start]...), cur[end:]...)
			if len(candidate) > 0 && fails(candidate) {
				cur = candidate
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if chunk == 1 {
				break
			}
			n = min(n*2, len(cur))
		}
	}
	return cur
}
