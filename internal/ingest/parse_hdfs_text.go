package ingest

// Text helpers shared by the line-oriented control-plane parsers (HDFS,
// YARN, the kubectl table). Names carry a "cp" prefix so they cannot clash
// with helpers of the other ingesters in this package.

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cpSniffLen is how much of the input the LooksLike* functions read.
const cpSniffLen = 8 << 10

// cpBOM is the UTF-8 byte-order mark some editors and PowerShell prepend.
var cpBOM = []byte{0xEF, 0xBB, 0xBF}

// cpHead returns the first cpSniffLen bytes of data without a BOM.
func cpHead(data []byte) []byte {
	data = bytes.TrimPrefix(data, cpBOM)
	if len(data) > cpSniffLen {
		data = data[:cpSniffLen]
	}
	return data
}

// cpCheckText rejects input that is not text: a NUL byte or invalid UTF-8.
// It returns the 1-based line of the first bad byte, or 0 when data is text.
func cpCheckText(data []byte) (line int, what string) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return cpLineAt(data, i), "binary data (NUL byte)"
	}
	if utf8.Valid(data) {
		return 0, ""
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return cpLineAt(data, i), "binary data (invalid UTF-8)"
		}
		i += n
	}
	return 0, ""
}

// cpLineAt is the 1-based line number of byte offset off in data.
func cpLineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// cpLines splits text into lines without their "\n" or "\r\n" endings. A
// final line without a newline is kept; a trailing newline adds no line.
func cpLines(data []byte) []string {
	s := string(bytes.TrimPrefix(data, cpBOM))
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// cpKeyValue splits "Key: value" (or "Key : value") at the first colon.
func cpKeyValue(line string) (key, value string, ok bool) {
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", false
	}
	return strings.TrimSpace(k), strings.TrimSpace(v), true
}

// cpValidHost reports whether a host key is usable: non-empty and free of
// white space and control characters.
func cpValidHost(h string) bool {
	if strings.TrimSpace(h) == "" {
		return false
	}
	return strings.IndexFunc(h, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}) < 0
}

// cpLogLine reports whether a line is log noise that Hadoop clients print
// on stdout or stderr around their real output: log4j lines
// ("2026-08-20 09:00:03,512 INFO client.RMProxy: ..."), bare-level log4j
// lines ("WARN util.NativeCodeLoader: ...") and JVM/shell "WARNING:" lines.
func cpLogLine(line string) bool {
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

// cpClip shortens a line quoted in an error message.
func cpClip(s string) string {
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

// cpLineCounter turns ascending byte offsets into line numbers in linear
// time overall (cpLineAt per item would be quadratic on a large list).
type cpLineCounter struct {
	data      []byte
	off, line int
}

// at returns the 1-based line of byte offset off.
func (c *cpLineCounter) at(off int) int {
	off = min(max(off, 0), len(c.data))
	if c.line == 0 || off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}
