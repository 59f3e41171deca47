package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

// barProgress draws one status line on a terminal's stderr once ingest
// has run for delay: the source, its phase (reading, parsing, writing
// pass…), a bar and an ETA over the bytes of all sources when their size
// is known (not for standard input), the records parsed, the rate and the
// elapsed time. It redraws on every event: a source begun, each MiB read,
// the end of a file, a source parsed, the write begun; a ticker
// (startBar) keeps it moving while a parser works. Its clock is
// injected, so tests drive it without waiting.
type barProgress struct {
	w     io.Writer
	now   func() time.Time
	delay time.Duration
	start time.Time
	n     int   // sources
	total int64 // bytes of all sources; -1 when one is standard input

	mu      sync.Mutex
	i       int // the source being read, from 0
	name    string
	phase   string
	bytes   int64 // read so far, all sources
	records int   // of the sources parsed
	shown   bool
	spin    int

	stop chan struct{}
	wg   sync.WaitGroup
}

const (
	phaseReading = "reading"
	phaseParsing = "parsing"
	phaseWriting = "writing pass…"
	redrawBytes  = 1 << 20 // a read redraws when it crosses a MiB
)

func newBarProgress(w io.Writer, args []string, clock func() time.Time, delay time.Duration) *barProgress {
	return &barProgress{w: w, now: clock, delay: delay, start: clock(), n: len(args), total: totalSize(args)}
}

// totalSize is the bytes of every source argument, or -1 when one is
// standard input or cannot be stat'ed.
func totalSize(args []string) int64 {
	var total int64
	for _, arg := range args {
		spec, err := ingest.ParseSpec(arg)
		if err != nil || spec.Path == "-" {
			return -1
		}
		fi, err := os.Stat(spec.Path)
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		total += fi.Size()
	}
	return total
}

// startBar redraws p every interval until finish.
func startBar(p *barProgress, interval time.Duration) *barProgress {
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.event(func() {})
			}
		}
	}()
	return p
}

// event applies change under the lock, then redraws once the delay has
// passed.
func (p *barProgress) event(change func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change()
	p.draw()
}

func (p *barProgress) draw() {
	now := p.now()
	if now.Sub(p.start) < p.delay {
		return
	}
	p.shown = true
	p.spin++
	_, _ = io.WriteString(p.w, "\r\x1b[K"+p.line(now.Sub(p.start))) // a progress line: a failed write to stderr is not the command's failure
}

func (p *barProgress) begin(i int, spec ingest.Spec) {
	p.event(func() { p.i, p.name, p.phase = i, sourceName(spec), phaseReading })
}

func (p *barProgress) wrap(r io.Reader) io.Reader {
	return &countingReader{
		r:   r,
		add: p.read,
		eof: func() { p.event(func() { p.phase = phaseParsing }) },
	}
}

// read counts n bytes, redrawing when they cross a MiB (not on every
// small read from a pipe).
func (p *barProgress) read(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.bytes
	p.bytes += int64(n)
	if before/redrawBytes != p.bytes/redrawBytes {
		p.draw()
	}
}

func (p *barProgress) end(src *store.SourceData) {
	p.event(func() { p.records += src.Records })
}

func (p *barProgress) writing() {
	p.event(func() { p.phase = phaseWriting })
}

// finish stops drawing and clears a line that was shown: the summary (or
// the error) follows on its own.
func (p *barProgress) finish() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
		p.stop = nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		_, _ = io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// line is the status line; the caller holds the lock.
func (p *barProgress) line(el time.Duration) string {
	var b strings.Builder
	if p.phase == phaseWriting {
		fmt.Fprintf(&b, "ingest: %s %d sources, %d records, %s", phaseWriting, p.n, p.records, byteSize(p.bytes))
	} else {
		fmt.Fprintf(&b, "ingest [%d/%d] %s %s %c ", p.i+1, p.n, shorten(safeText(p.name), 32), p.phase, `|/-\`[p.spin%4])
		b.WriteString(p.amount(el))
		fmt.Fprintf(&b, "  %d records  %s", p.records, rate(p.bytes, el))
	}
	fmt.Fprintf(&b, "  %s", el.Round(time.Second))
	return b.String()
}

// amount is the bar, percentage, bytes and ETA when the total is known,
// else the bytes read.
func (p *barProgress) amount(el time.Duration) string {
	if p.total <= 0 {
		return byteSize(p.bytes)
	}
	frac := min(float64(p.bytes)/float64(p.total), 1)
	s := fmt.Sprintf("%s %3.0f%% %s/%s", bar(frac, 20), 100*frac, byteSize(p.bytes), byteSize(p.total))
	if p.bytes > 0 && p.bytes < p.total {
		eta := time.Duration(float64(el) * float64(p.total-p.bytes) / float64(p.bytes))
		s += " ETA " + eta.Round(time.Second).String()
	}
	return s
}
