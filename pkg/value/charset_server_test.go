package value

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluice-cdc/sluice/pkg/testutil/mariadbtest"
)

// TestCharsetTablesMatchServer converts every byte of every supported
// single-byte character set to utf8mb4 on a live server and requires
// decodeText to agree: the same rune where the server maps the byte, an
// error where the server can only print '?'. This is what makes FromBinlog
// (bytes as stored) equal FromText (the server's conversion).
func TestCharsetTablesMatchServer(t *testing.T) {
	srv := mariadbtest.Start(t, mariadbtest.Options{NoBinlog: true})
	db := openPool(t, srv)
	for cs := range singleByte {
		exprs := make([]string, 256)
		for b := range exprs {
			exprs[b] = fmt.Sprintf("HEX(CONVERT(_%s 0x%02X USING utf8mb4))", cs, b)
		}
		var got string
		if err := db.QueryRow("SELECT CONCAT_WS(' ', " + strings.Join(exprs, ", ") + ")").Scan(&got); err != nil {
			t.Fatalf("%s: %v", cs, err)
		}
		for b, h := range strings.Fields(got) {
			var server []byte
			fmt.Sscanf(h, "%X", &server)
			mine, err := decodeText(cs, []byte{byte(b)})
			switch {
			case string(server) == "?" && b != '?':
				if err == nil {
					t.Errorf("%s 0x%02X: server has no mapping, decodeText gives %q", cs, b, mine)
				}
			case err != nil:
				t.Errorf("%s 0x%02X: server gives %q, decodeText fails: %v", cs, b, server, err)
			case mine != string(server) || !utf8.ValidString(mine):
				t.Errorf("%s 0x%02X: server gives %q, decodeText %q", cs, b, server, mine)
			}
		}
	}
}
