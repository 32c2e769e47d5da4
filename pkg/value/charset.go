package value

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// byteTable maps each byte of a single-byte character set to its rune, or
// to -1 where MariaDB has no mapping (it converts such a byte to '?').
type byteTable [256]rune

// singleByte holds the single-byte character sets whose tables match
// MariaDB's conversion to utf8mb4 byte for byte (TestCharsetTablesMatchServer
// checks all 256 bytes of each against a live server). Each starts from
// golang.org/x/text's table and applies MariaDB's differences: where
// the ISO 8859 standard leaves 0x80-0x9F undefined MariaDB maps them to
// the C1 controls U+0080-U+009F, and MySQL's "latin1" is Windows-1252 with
// its five holes mapped to C1 controls.
var singleByte = map[string]*byteTable{
	"latin1":   table(charmap.Windows1252, false, c1(0x81, 0x8D, 0x8F, 0x90, 0x9D)),
	"latin2":   table(charmap.ISO8859_2, true, nil),
	"latin5":   table(charmap.ISO8859_9, true, nil),
	"latin7":   table(charmap.ISO8859_13, true, nil),
	"greek":    table(charmap.ISO8859_7, true, map[byte]rune{0xA1: 0x02BD, 0xA2: 0x02BC, 0xA4: -1, 0xA5: -1, 0xAA: -1}),
	"hebrew":   table(charmap.ISO8859_8, true, map[byte]rune{0xAF: 0x203E}),
	"cp1250":   table(charmap.Windows1250, false, nil),
	"cp1251":   table(charmap.Windows1251, false, nil),
	"cp1256":   table(charmap.Windows1256, false, map[byte]rune{0x8A: -1, 0x8F: -1, 0x98: -1, 0x9A: -1, 0x9F: -1, 0xAA: -1, 0xC0: -1, 0xFF: -1}),
	"cp1257":   table(charmap.Windows1257, false, nil),
	"cp850":    table(charmap.CodePage850, false, nil),
	"cp852":    table(charmap.CodePage852, false, nil),
	"cp866":    table(charmap.CodePage866, false, map[byte]rune{0xFC: 0x207F, 0xFD: 0x00B2}),
	"koi8r":    table(charmap.KOI8R, false, nil),
	"koi8u":    table(charmap.KOI8U, false, map[byte]rune{0x95: 0x2022, 0xAE: 0x255D, 0xBE: 0x256C}),
	"macroman": table(charmap.Macintosh, false, nil),
}

// c1 maps each of the given bytes to the C1 control of the same value.
func c1(bs ...byte) map[byte]rune {
	m := make(map[byte]rune, len(bs))
	for _, b := range bs {
		m[b] = rune(b)
	}
	return m
}

func table(cm *charmap.Charmap, isoC1 bool, overrides map[byte]rune) *byteTable {
	var t byteTable
	for i := range t {
		r := cm.DecodeByte(byte(i))
		switch {
		case isoC1 && i >= 0x80 && i <= 0x9F:
			r = rune(i)
		case r == utf8.RuneError:
			r = -1
		}
		t[i] = r
	}
	for b, r := range overrides {
		t[b] = r
	}
	return &t
}

// charsetName normalizes a CHARACTER_SET_NAME.
func charsetName(cs string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if cs == "utf8" {
		return "utf8mb3"
	}
	return cs
}

// decodeText converts the bytes of a text column in character set cs to
// UTF-8. It fails on bytes that are not valid in cs, or that MariaDB could
// only convert to '?', instead of replacing them.
func decodeText(cs string, b []byte) (string, error) {
	switch cs = charsetName(cs); cs {
	case "utf8mb4", "utf8mb3":
		if !utf8.Valid(b) {
			return "", fmt.Errorf("%w: invalid %s text at byte %d", ErrInvalid, cs, invalidUTF8At(b))
		}
		return string(b), nil
	case "ascii":
		for i, c := range b {
			if c >= 0x80 {
				return "", fmt.Errorf("%w: byte 0x%02X at %d is not ASCII", ErrInvalid, c, i)
			}
		}
		return string(b), nil
	case "ucs2", "utf16", "utf16le", "utf32":
		return decodeWide(cs, b)
	case "":
		return "", fmt.Errorf("%w: text column without a character set", ErrUnsupported)
	}
	t := singleByte[cs]
	if t == nil {
		return "", fmt.Errorf("%w: character set %q", ErrUnsupported, cs)
	}
	if asciiSame(t, b) {
		return string(b), nil
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i, c := range b {
		r := t[c]
		if r < 0 {
			return "", fmt.Errorf("%w: byte 0x%02X at %d has no Unicode mapping in %s", ErrInvalid, c, i, cs)
		}
		sb.WriteRune(r)
	}
	return sb.String(), nil
}

// checkCharset fails for a character set decodeText cannot convert, so that
// a snapshot refuses the same columns the binlog reader refuses.
func checkCharset(cs string) error {
	switch cs = charsetName(cs); cs {
	case "utf8mb4", "utf8mb3", "ascii", "ucs2", "utf16", "utf16le", "utf32":
		return nil
	case "":
		return fmt.Errorf("%w: text column without a character set", ErrUnsupported)
	}
	if singleByte[cs] == nil {
		return fmt.Errorf("%w: character set %q", ErrUnsupported, cs)
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// decodeWide decodes ucs2 (UCS-2BE), utf16 (UTF-16BE), utf16le and utf32
// (UTF-32BE) strictly: unpaired surrogates and out-of-range code points
// are errors.
func decodeWide(cs string, b []byte) (string, error) {
	unit := 2
	if cs == "utf32" {
		unit = 4
	}
	if len(b)%unit != 0 {
		return "", fmt.Errorf("%w: %d bytes is not a whole number of %s code units", ErrInvalid, len(b), cs)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i += unit {
		var r rune
		switch cs {
		case "utf32":
			r = rune(uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3]))
		case "utf16le":
			r = rune(b[i]) | rune(b[i+1])<<8
		default:
			r = rune(b[i])<<8 | rune(b[i+1])
		}
		if utf16.IsSurrogate(r) && r < 0xDC00 && cs != "ucs2" && cs != "utf32" && i+3 < len(b) {
			var lo rune
			if cs == "utf16le" {
				lo = rune(b[i+2]) | rune(b[i+3])<<8
			} else {
				lo = rune(b[i+2])<<8 | rune(b[i+3])
			}
			if p := utf16.DecodeRune(r, lo); p != utf8.RuneError {
				r = p
				i += 2
			}
		}
		if !utf8.ValidRune(r) {
			return "", fmt.Errorf("%w: code point U+%04X at byte %d is not valid %s", ErrInvalid, r, i, cs)
		}
		sb.WriteRune(r)
	}
	return sb.String(), nil
}

// asciiSame reports whether every byte of b is ASCII and t maps each of
// them to itself (true of every single-byte set decodeText reads), so that
// the text is its own UTF-8.
func asciiSame(t *byteTable, b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || t[c] != rune(c) {
			return false
		}
	}
	return true
}
