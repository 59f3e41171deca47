package ingest

// Detecting the kind of a bare path, by the one sniffing rule of package
// source: an empty file has no kind, a binary head is refused, and
// otherwise the first kind whose Looks takes the head wins.

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/fleetq/fleetq/internal/ingest/source"
)

func resolveKind(spec Spec, data []byte, file string) (Kind, error) {
	if spec.Kind != "" {
		k, ok := kindByName(spec.Kind)
		if !ok {
			return Kind{}, fmt.Errorf("%s: unknown kind %q (expected one of %s)", file, spec.Kind, strings.Join(KindNames(), ", "))
		}
		return k, nil
	}
	if !hasDataLine(data) {
		return Kind{}, source.Errorf(file, 0, "empty file: its kind cannot be detected (an empty CMDB dump is an outage; for an empty host list say hosts:%s)", spec.Path)
	}
	if source.IsBinary(data) {
		return Kind{}, source.Errorf(file, 1, "binary data (expected a text report, JSON, CSV or a host list)")
	}
	head := source.Head(data)
	for _, k := range Kinds() {
		if k.Looks(head) {
			return k, nil
		}
	}
	return Kind{}, source.Errorf(file, 1, "cannot tell what kind of source this is (name it: KIND:PATH, KIND one of %s)", strings.Join(KindNames(), ", "))
}

// hasDataLine reports whether data has a line that is neither blank nor a
// # comment, whatever its line endings (LF, CRLF or a lone CR): a file of
// comments and blank lines is empty, not a host list of no hosts.
// It stops at the first data line, so a real file costs nothing.
func hasDataLine(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			i = len(data) - 1
		}
		if line := bytes.TrimSpace(data[:i+1]); len(line) > 0 && line[0] != '#' {
			return true
		}
		data = data[i+1:]
	}
	return false
}
