package event

import (
	"fmt"
	"strconv"
	"strings"
)

// Seq orders source transactions. It is the binlog file number, the position
// where the transaction ends, and a chunk number used by snapshots (a snapshot
// taken at position P emits chunks P/1, P/2, ...; a streamed transaction has
// chunk 0). Its string form has fixed-width fields so that string order equals
// commit order. After a source follows a failover to another server, the
// file number field is that server's file number plus a base above every
// file number used before (the source checkpoint's seq_base), so Seqs keep
// growing across servers in the same form.
type Seq string

// MakeSeq builds a Seq from a binlog file number, an end position and a chunk.
func MakeSeq(fileNum uint64, pos uint64, chunk uint64) Seq {
	if fileNum > 9999999999 || chunk > 9999999999 { // wider than the field: as fmt writes it
		return Seq(fmt.Sprintf("%010d.%020d.%010d", fileNum, pos, chunk))
	}
	var b [42]byte
	pad(b[0:10], fileNum)
	b[10] = '.'
	pad(b[11:31], pos)
	b[31] = '.'
	pad(b[32:42], chunk)
	return Seq(b[:])
}

// pad writes n in decimal into all of b, zero-padded on the left; n fits.
func pad(b []byte, n uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// Less reports whether s comes before o. The empty Seq comes before all others.
func (s Seq) Less(o Seq) bool { return s < o }

// Valid reports whether s has the form MakeSeq produces.
func (s Seq) Valid() bool {
	parts := strings.Split(string(s), ".")
	if len(parts) != 3 || len(parts[0]) != 10 || len(parts[1]) != 20 || len(parts[2]) != 10 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// BinlogFileNumber returns the numeric suffix of a binlog file name
// ("mysql-bin.000042" is 42).
func BinlogFileNumber(file string) (uint64, error) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 || i == len(file)-1 {
		return 0, fmt.Errorf("binlog file %q has no numeric suffix", file)
	}
	n, err := strconv.ParseUint(file[i+1:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("binlog file %q has no numeric suffix", file)
	}
	return n, nil
}
