package ingest

import (
	"fmt"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Limits bound what one source may make fleetq read and build, so that
// memory follows the input's real content and not a hostile stream
// (/dev/zero, an endless pipe, a few range patterns that expand to
// millions of hosts). A zero field takes its default. docs/limits.md
// lists every bound with its default and the flag that changes it.
type Limits struct {
	// SourceBytes bounds the bytes read from one source (--max-source-bytes).
	SourceBytes int64
	// LineBytes bounds one line of a line-oriented source
	// (--max-line-bytes). A JSON document, whose first non-blank byte is
	// '{' or '[', is exempt: an API response is often one line.
	LineBytes int
	// FieldBytes bounds one string attribute value (--max-field-bytes).
	FieldBytes int
	// Hosts bounds the distinct hosts of one source (--max-hosts).
	Hosts int
	// Expansions bounds the host names one file's range patterns expand
	// to, all patterns together (--max-expansions; Ansible inventories).
	Expansions int
}

// The defaults: generous for any real fleet, small against a hostile
// input. 4 GiB is forty times the largest CMDB dump we have seen; a CSV
// line of a thousand columns fits in 1 MiB; no CMDB value (a serial, a
// kernel, a rack, a comment) comes near 64 KiB, and every value is kept
// per host per pass; ten million hosts is ten times the largest fleets;
// a million expanded names is a thousand racks of a thousand hosts.
const (
	DefaultSourceBytes int64 = 4 << 30
	DefaultLineBytes         = 1 << 20
	DefaultFieldBytes        = 64 << 10
	DefaultHosts             = 10_000_000
	DefaultExpansions        = 1_000_000
)

// DefaultLimits returns the default bounds.
func DefaultLimits() Limits {
	return Limits{}.withDefaults()
}

func (l Limits) withDefaults() Limits {
	if l.SourceBytes <= 0 {
		l.SourceBytes = DefaultSourceBytes
	}
	if l.LineBytes <= 0 {
		l.LineBytes = DefaultLineBytes
	}
	if l.FieldBytes <= 0 {
		l.FieldBytes = DefaultFieldBytes
	}
	if l.Hosts <= 0 {
		l.Hosts = DefaultHosts
	}
	if l.Expansions <= 0 {
		l.Expansions = DefaultExpansions
	}
	return l
}

// checkBounds checks what a parsed source holds against the bounds that
// only the whole source shows: its host count and its attribute values.
func checkBounds(file string, data []byte, src *store.SourceData, lim Limits) error {
	if n := len(src.Hosts); n > lim.Hosts {
		return source.BoundError(file, 0, ErrTooManyHosts, fmt.Sprintf("%d hosts", n), int64(lim.Hosts), "--max-hosts")
	}
	for _, c := range src.Attrs {
		if err := checkFields(file, data, src.Hosts, c, lim.FieldBytes); err != nil {
			return err
		}
	}
	return nil
}

// checkFields returns ErrFieldTooLong for the first string value of c
// longer than max, at the line that holds it.
func checkFields(file string, data []byte, hosts []string, c *store.Column, max int) error {
	if c.Str == nil && !c.Coded() {
		return nil
	}
	for i := range hosts {
		if !c.Present(i) {
			continue
		}
		if v := c.StrAt(i); len(v) > max {
			what := fmt.Sprintf("attribute %s of host %s is %d bytes", c.Name, hosts[i], len(v))
			return source.BoundError(file, source.LineOf(data, v[:min(len(v), fieldProbe)]), ErrFieldTooLong, what, int64(max), "--max-field-bytes")
		}
	}
	return nil
}

// fieldProbe is how much of a long value lineOf looks for: enough to be
// unique, little to search.
const fieldProbe = 256
