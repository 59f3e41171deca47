package source

import (
	"bytes"
	"strings"
)

// The one sniffing rule. Detecting the kind of a bare path reads its Head:
// the first SniffBytes bytes, without a byte-order mark. A head with a NUL
// byte is binary (IsBinary); every other head is given, as it is, to each
// kind's Looks in the order of package ingest's Kinds. A Looks decides
// from the head alone: it never reads past it, and never cuts it shorter.

// SniffBytes is how much of a file content sniffing looks at: enough for
// any header, and cheap on a 100 MB inventory (docs/sources.md).
const SniffBytes = 64 << 10

// Head is the part of data that sniffing looks at.
func Head(data []byte) []byte {
	data = TrimBOM(data)
	return data[:min(len(data), SniffBytes)]
}

// IsBinary reports whether data is binary by the sniffing rule: its Head
// holds a NUL byte.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(Head(data), 0) >= 0
}

// FirstLines returns up to n lines of head that are neither blank nor #
// comments, trimmed, joined by newlines.
func FirstLines(head []byte, n int) string {
	var out []string
	for _, line := range strings.SplitN(string(head), "\n", 200) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if out = append(out, s); len(out) == n {
			break
		}
	}
	return strings.Join(out, "\n")
}
