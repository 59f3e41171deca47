package source

// Reading text with line numbers: the one line splitter, byte offsets to
// lines, the test for text, and the small pieces of syntax several line
// formats share ("Key: value", one word, JVM log noise).

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BOM is the UTF-8 byte-order mark some editors and PowerShell prepend.
var BOM = []byte{0xEF, 0xBB, 0xBF}

// TrimBOM returns data without a leading byte-order mark.
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, BOM) }

// CheckText finds what makes data no text: a NUL byte or invalid UTF-8.
// It returns the 1-based line of the first bad byte and what it is
// ("binary data (NUL byte)"), or 0 when data is text.
func CheckText(data []byte) (line int, what string) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return LineAt(data, i), "binary data (NUL byte)"
	}
	if utf8.Valid(data) {
		return 0, ""
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return LineAt(data, i), "binary data (invalid UTF-8)"
		}
		i += n
	}
	return 0, ""
}

// Lines splits text into lines at LF, CRLF or a lone CR (old Mac and some
// exporters' line ends, so a CR-only file is not one long line), without
// the line ends. A final line without a line end is kept; a trailing line
// end adds no line.
func Lines(data []byte) []string {
	s := string(data)
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// LineAt is the 1-based line number of byte offset off in data.
func LineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// LastLine is the line of the last non-blank byte (where truncated input
// ends).
func LastLine(data []byte) int {
	return LineAt(data, len(bytes.TrimRight(data, " \t\r\n")))
}

// LineOf is the line of data that first holds name as written, else in any
// case, else 0 (the whole file: a name built by range expansion or JSON
// escapes appears nowhere as such).
func LineOf(data []byte, name string) int {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0
	}
	at := bytes.Index(data, []byte(name))
	if at < 0 {
		data = bytes.ToLower(data)
		at = bytes.Index(data, bytes.ToLower([]byte(name)))
	}
	if at < 0 {
		return 0
	}
	return bytes.Count(data[:at], []byte("\n")) + 1
}

// LineCounter turns ascending byte offsets into line numbers in linear
// time overall (LineAt per item would be quadratic on a large list).
type LineCounter struct {
	Data      []byte
	off, line int
}

// At returns the 1-based line of byte offset off.
func (c *LineCounter) At(off int) int {
	off = min(max(off, 0), len(c.Data))
	if c.line == 0 || off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.Data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// Field is the value of one "Key: value" line and the line it is on.
type Field struct {
	Value string
	Line  int
}

// KeyValue splits "Key: value" (or "Key : value") at the first colon.
func KeyValue(line string) (key, value string, ok bool) {
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", false
	}
	return strings.TrimSpace(k), strings.TrimSpace(v), true
}

// IsWord reports whether s is one word of text: not blank, and free of
// white space, control characters and invalid UTF-8. It is the syntax of
// a name field in the line formats (a Hostname:, a Node-Id, a table cell),
// not the host-key rule: a word may still be no host key, and the Builder
// refuses it by package hostkey.
func IsWord(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}) < 0
}

// LogLine reports whether a line is log noise that JVM clients (Hadoop's
// hdfs and yarn) print on stdout or stderr around their real output:
// log4j lines ("2026-08-20 09:00:03,512 INFO client.RMProxy: ..."),
// bare-level log4j lines ("WARN util.NativeCodeLoader: ...") and
// JVM/shell "WARNING:" lines.
func LogLine(line string) bool {
	s := line
	if len(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' {
		// "YYYY-MM-DD HH:MM:SS,mmm LEVEL ..."
		if i := strings.IndexByte(s[19:], ' '); i >= 0 {
			s = strings.TrimSpace(s[19+i:])
		}
	}
	for _, lvl := range []string{"TRACE ", "DEBUG ", "INFO ", "WARN ", "WARNING:", "WARNING ", "ERROR ", "FATAL ", "SLF4J:"} {
		if strings.HasPrefix(s, lvl) {
			return true
		}
	}
	return false
}

// Clip shortens a line quoted in an error message to 60 bytes and "…".
func Clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if s[i]&0xC0 != 0x80 { // not a UTF-8 continuation byte
			return s[:i] + "…"
		}
	}
	return s[:max] + "…"
}
