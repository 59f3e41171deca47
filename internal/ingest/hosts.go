package ingest

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/store"
)

// ParseHosts reads a host list: one host per line, blank lines and #
// comments skipped. The set is called name; the file may be empty (an
// empty set is a fact).
func ParseHosts(file, name string, data []byte) (*store.SourceData, error) {
	if !isText(data) {
		return nil, Errorf(file, 1, "binary data (expected one host name per line)")
	}
	b := NewBuilder("hosts", name)
	for n, line := range splitLines(data) {
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		if _, err := hostkey.Parse(s); err != nil {
			return nil, Errorf(file, n+1, "%v", err)
		}
		b.Host(s)
		b.Records(1)
	}
	return b.Finish(file, data)
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

func sortStrings(s []string) { sort.Strings(s) }
