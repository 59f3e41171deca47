// Package hosts reads a host list (kind "hosts"): one host per line,
// blank lines and # comments skipped. The set it gives is named after the
// file, or by the caller (hosts:NAME=PATH).
package hosts

import (
	"path/filepath"
	"strings"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Parse reads a host list: one host per line, blank lines and #
// comments skipped. The set is called name; the file may be empty (an
// empty set is a fact).
func Parse(file, name string, data []byte) (*store.SourceData, error) {
	if source.IsBinary(data) {
		return nil, source.Errorf(file, 1, "binary data (expected one host name per line)")
	}
	b := source.NewBuilder("hosts", name)
	for n, line := range source.Lines(data) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if _, err := hostkey.Parse(s); err != nil {
			return nil, source.Errorf(file, n+1, "%v", err)
		}
		b.Host(s)
		b.Records(1)
	}
	return b.Finish(file, data)
}

// Looks reports whether head (source.Head) is a host list: its first 50
// data lines hold one word each (no blank, tab, `,{}[]:=` inside).
func Looks(head []byte) bool {
	for _, line := range strings.Split(source.FirstLines(head, 50), "\n") {
		if strings.ContainsAny(line, " \t,{}[]:=") {
			return false
		}
	}
	return true
}

// SetNameFor is the set name of a host-list file: its base name without a
// .txt, .list or .hosts extension.
func SetNameFor(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".txt", ".list", ".hosts"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}
