package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/ingest"
)

// limitOption is one bound of ingest.Limits as a flag, whose default a
// cron job may also set in the environment (FLEETQ_MAX_SOURCE_BYTES=8GiB).
type limitOption struct {
	flag, env, help string
	bytes           bool // a size: 4GiB, 512MiB, 64KiB or a number of bytes
	def             int64
	set             func(l *ingest.Limits, n int64)
}

func limitOptions() []limitOption {
	return []limitOption{
		{"max-source-bytes", "FLEETQ_MAX_SOURCE_BYTES", "refuse a source longer than this (reading stops there)", true,
			ingest.DefaultSourceBytes, func(l *ingest.Limits, n int64) { l.SourceBytes = n }},
		{"max-line-bytes", "FLEETQ_MAX_LINE_BYTES", "refuse a line longer than this (JSON documents are exempt)", true,
			ingest.DefaultLineBytes, func(l *ingest.Limits, n int64) { l.LineBytes = int(n) }},
		{"max-field-bytes", "FLEETQ_MAX_FIELD_BYTES", "refuse an attribute value longer than this", true,
			ingest.DefaultFieldBytes, func(l *ingest.Limits, n int64) { l.FieldBytes = int(n) }},
		{"max-hosts", "FLEETQ_MAX_HOSTS", "refuse a source of more hosts than this", false,
			ingest.DefaultHosts, func(l *ingest.Limits, n int64) { l.Hosts = int(n) }},
		{"max-expansions", "FLEETQ_MAX_EXPANSIONS", "refuse a file whose host ranges expand to more names than this", false,
			ingest.DefaultExpansions, func(l *ingest.Limits, n int64) { l.Expansions = int(n) }},
	}
}

// limitFlags holds the text of each bound's flag until Validate parses it.
type limitFlags map[string]*string

func (f limitFlags) add(fs *pflag.FlagSet) {
	for _, o := range limitOptions() {
		def := formatLimit(o.def, o.bytes)
		if v := os.Getenv(o.env); v != "" {
			def = v
		}
		f[o.flag] = fs.String(o.flag, def, o.help+" ($"+o.env+" sets the default; docs/limits.md)")
	}
}

// limits parses every bound; a bad value names its flag (or variable).
func (f limitFlags) limits() (ingest.Limits, error) {
	var l ingest.Limits
	for _, o := range limitOptions() {
		text := *f[o.flag]
		n, err := parseLimit(text, o.bytes)
		if err != nil {
			what := "--" + o.flag
			if text == os.Getenv(o.env) {
				what += " (from $" + o.env + ")"
			}
			return l, &usageError{fmt.Sprintf("%s %q: %v", what, text, err)}
		}
		o.set(&l, n)
	}
	return l, nil
}

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"G", 30}, {"M", 20}, {"K", 10}, {"B", 0}}

// parseLimit reads a positive count, or for a size a number of bytes
// with an optional unit (K, M, G as KiB, MiB, GiB).
func parseLimit(s string, bytes bool) (int64, error) {
	num, shift := strings.TrimSpace(s), uint(0)
	for _, u := range sizeUnits {
		if bytes && strings.HasSuffix(num, u.suffix) {
			num, shift = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(num, "_", ""), 10, 64)
	switch {
	case err != nil && bytes:
		return 0, fmt.Errorf("expected a size such as 4GiB, 512MiB, 64KiB or a number of bytes")
	case err != nil:
		return 0, fmt.Errorf("expected a number such as 1000000")
	case n <= 0 || n > (1<<62)>>shift:
		return 0, fmt.Errorf("expected a positive number")
	}
	return n << shift, nil
}

// formatLimit prints a default the way parseLimit reads it.
func formatLimit(n int64, bytes bool) string {
	if !bytes {
		return strconv.FormatInt(n, 10)
	}
	for _, u := range sizeUnits[:3] {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
