package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

// How ingest reports its progress on stderr (--progress):
//
//	auto   a status line on a terminal, nothing otherwise (the default)
//	plain  one line per source read, terminal or not (cron logs)
//	none   nothing
const (
	progressAuto  = "auto"
	progressPlain = "plain"
	progressNone  = "none"
)

// defaultProgressDelay is how long ingest runs before the status line
// appears: quick ingests print nothing extra. $FLEETQ_PROGRESS_DELAY (a
// duration; 0 shows it at once) overrides it.
const defaultProgressDelay = 500 * time.Millisecond

func progressDelay() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FLEETQ_PROGRESS_DELAY")); err == nil && d >= 0 {
		return d
	}
	return defaultProgressDelay
}

// progress receives ingest's events, in this order: for every source
// begin, the bytes read (through wrap), end; then writing once the
// sources are parsed; then finish.
type progress interface {
	begin(i int, spec ingest.Spec)
	wrap(r io.Reader) io.Reader
	end(src *store.SourceData)
	writing()
	finish()
}

// newProgress picks the reporter for mode; clock is the time source
// (time.Now outside tests).
func newProgress(mode string, w io.Writer, args []string, clock func() time.Time) progress {
	switch {
	case mode == progressPlain:
		return &plainProgress{w: w, now: clock}
	case mode == progressAuto && isTerminal(w) && os.Getenv("TERM") != "dumb":
		// The bar's own \r\x1b[K goes raw; the names in it are escaped.
		return startBar(newBarProgress(rawWriter(w), args, clock, progressDelay()), 100*time.Millisecond)
	}
	return noProgress{}
}

func validProgressMode(mode string) error {
	switch mode {
	case progressAuto, progressPlain, progressNone:
		return nil
	}
	return &usageError{fmt.Sprintf("--progress %q: expected auto, plain or none", mode)}
}

// noProgress reports nothing.
type noProgress struct{}

func (noProgress) begin(int, ingest.Spec)     {}
func (noProgress) wrap(r io.Reader) io.Reader { return r }
func (noProgress) end(*store.SourceData)      {}
func (noProgress) writing()                   {}
func (noProgress) finish()                    {}

// plainProgress prints one line per source when it has been read:
//
//	ingest: inventory inventory.csv 5000 records 1.2 MiB 0.4s
type plainProgress struct {
	w     io.Writer
	now   func() time.Time
	name  string
	start time.Time
	bytes atomic.Int64
}

func (p *plainProgress) begin(_ int, spec ingest.Spec) {
	p.name, p.start = sourceName(spec), p.now()
	p.bytes.Store(0)
}

func (p *plainProgress) wrap(r io.Reader) io.Reader {
	return &countingReader{r: r, add: func(n int) { p.bytes.Add(int64(n)) }}
}

func (p *plainProgress) end(src *store.SourceData) {
	fmt.Fprintf(p.w, "ingest: %s %s %d records %s %s\n", src.Kind, p.name, src.Records,
		byteSize(p.bytes.Load()), seconds(p.now().Sub(p.start)))
}

func (p *plainProgress) writing() {}
func (p *plainProgress) finish()  {}

func sourceName(spec ingest.Spec) string {
	if spec.Path == "-" {
		return "<stdin>"
	}
	return spec.Path
}

// countingReader passes each read's byte count to add. Reads are at most
// 1 MiB, so progress advances inside a large file.
type countingReader struct {
	r   io.Reader
	add func(n int)
	eof func()
}

const maxProgressRead = 1 << 20

func (c *countingReader) Read(b []byte) (int, error) {
	if len(b) > maxProgressRead {
		b = b[:maxProgressRead]
	}
	n, err := c.r.Read(b)
	c.add(n)
	if err == io.EOF && c.eof != nil {
		c.eof()
	}
	return n, err
}

func bar(frac float64, width int) string {
	full := int(frac * float64(width))
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + "]"
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func rate(n int64, el time.Duration) string {
	if el <= 0 {
		return "-"
	}
	return byteSize(int64(float64(n)/el.Seconds())) + "/s"
}

// seconds prints a duration as 0.4s, 12.0s, 95.3s.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// shorten keeps the end of a long path.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}
