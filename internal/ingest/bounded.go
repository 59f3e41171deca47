package ingest

import (
	"bytes"
	"fmt"
	"io"

	"github.com/fleetq/fleetq/internal/ingest/source"
)

// boundedReader enforces Limits.SourceBytes and Limits.LineBytes while a
// source is read, so that reading stops at the bound (an endless stream
// costs at most the bound in memory) instead of after the whole input.
// Once it has failed it keeps returning the same error.
type boundedReader struct {
	r        io.Reader
	file     string
	max      int64 // source bytes
	maxLine  int   // 0: no line bound (a JSON document)
	n        int64 // bytes read so far
	line     int   // 1-based number of the line being read
	lineLen  int   // bytes of that line so far
	decided  bool  // whether the first non-blank byte has been seen
	err      error
	lineKind bool // a kind that is lines whatever it starts with
}

// lineKinds are the kinds made of lines whatever their first byte: the
// inventory's JSON is JSON lines, one object a line.
var lineKinds = map[string]bool{"hosts": true, "hdfs": true, "yarn": true, "inventory": true}

func newBoundedReader(r io.Reader, file string, lim Limits, kind string) *boundedReader {
	return &boundedReader{r: r, file: file, max: lim.SourceBytes, maxLine: lim.LineBytes, line: 1,
		lineKind: lineKinds[kind]}
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if left := b.max - b.n + 1; int64(len(p)) > left { // one byte past the bound shows there is more
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		b.err = source.BoundError(b.file, 0, ErrSourceTooLarge, fmt.Sprintf("more than %d bytes", b.max), b.max, "--max-source-bytes")
		return n, b.err
	}
	if lerr := b.scan(p[:n]); lerr != nil {
		b.err = lerr
		return n, lerr
	}
	return n, err
}

// scan follows the lines of p, failing at the first line over the bound.
func (b *boundedReader) scan(p []byte) error {
	if !b.decided {
		b.decide(p)
	}
	if b.maxLine == 0 {
		return nil
	}
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.lineLen += len(p)
			break
		}
		if b.lineLen+i > b.maxLine {
			b.lineLen += i
			break
		}
		b.line, b.lineLen, p = b.line+1, 0, p[i+1:]
	}
	if b.lineLen > b.maxLine {
		return source.BoundError(b.file, b.line, ErrLineTooLong, fmt.Sprintf("more than %d bytes without a newline", b.maxLine), int64(b.maxLine), "--max-line-bytes")
	}
	return nil
}

// decide lifts the line bound when the source is a JSON document: its
// first byte other than a blank or a byte-order mark is '{' or '['.
func (b *boundedReader) decide(p []byte) {
	rest := bytes.TrimLeft(p, " \t\r\n\xef\xbb\xbf")
	if len(rest) == 0 {
		return
	}
	b.decided = true
	if !b.lineKind && (rest[0] == '{' || rest[0] == '[') {
		b.maxLine = 0
	}
}
