package value

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func TestScratchCharsets(t *testing.T) {
	m := map[string]*charmap.Charmap{"latin1": charmap.Windows1252, "latin2": charmap.ISO8859_2, "latin5": charmap.ISO8859_9, "latin7": charmap.ISO8859_13,
		"cp1250": charmap.Windows1250, "cp1251": charmap.Windows1251, "cp1256": charmap.Windows1256, "cp1257": charmap.Windows1257, "greek": charmap.ISO8859_7,
		"hebrew": charmap.ISO8859_8, "koi8r": charmap.KOI8R, "koi8u": charmap.KOI8U, "cp866": charmap.CodePage866, "cp852": charmap.CodePage852, "cp850": charmap.CodePage850,
		"macroman": charmap.Macintosh, "tis620": charmap.Windows874}
	f, _ := os.Open("/tmp/vexp/cstables.txt")
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		cs := fs[0]
		cm := m[cs]
		if cm == nil {
			continue
		}
		var diffs []string
		for b := 0; b < 256; b++ {
			sb, _ := hex.DecodeString(fs[1+b])
			srv, _ := utf8.DecodeRune(sb)
			if string(sb) == "?" && b != '?' {
				srv = -1
			}
			mine := cm.DecodeByte(byte(b))
			if mine == utf8.RuneError {
				mine = -1
			}
			if srv != mine {
				diffs = append(diffs, fmt.Sprintf("%02X:srv=%U,x=%U", b, srv, mine))
			}
		}
		t.Logf("%s: %d diffs %v", cs, len(diffs), diffs)
	}
}
