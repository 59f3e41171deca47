package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

// defaultProgressDelay is how long work runs before a progress line
// appears: quick ingests print nothing extra. $FLEETQ_PROGRESS_DELAY (a
// duration) overrides it, so tests need not depend on machine speed.
const defaultProgressDelay = 500 * time.Millisecond

func progressDelay() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FLEETQ_PROGRESS_DELAY")); err == nil {
		return d
	}
	return defaultProgressDelay
}

// ingestProgress draws one status line on a terminal's stderr while
// ingest reads its sources: the source, a bar over the bytes of all
// sources, the hosts parsed so far, the rate and the elapsed time. Bytes
// from standard input count as they are read; a file's bytes count when
// it has been parsed. A nil *ingestProgress (stderr is not a terminal)
// does nothing.
type ingestProgress struct {
	w     io.Writer
	start time.Time
	n     int   // sources
	total int64 // bytes of all sources; -1 when one is standard input
	stdin atomic.Int64

	mu      sync.Mutex
	i       int // the source being read, from 0
	name    string
	isStdin bool
	done    int64 // bytes of the sources read
	ended   int   // sources read
	hosts   int
	shown   bool
	spin    int

	stop  chan struct{}
	wg    sync.WaitGroup
	delay time.Duration
}

// newIngestProgress starts a progress line on w for these source
// arguments, or returns nil when w is not a terminal.
func newIngestProgress(w io.Writer, args []string) *ingestProgress {
	if !isTerminal(w) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	p := &ingestProgress{w: w, start: time.Now(), n: len(args), stop: make(chan struct{}), delay: progressDelay()}
	for _, arg := range args {
		spec, err := ingest.ParseSpec(arg)
		fi, serr := os.Stat(spec.Path)
		if err != nil || spec.Path == "-" || serr != nil {
			p.total = -1
			break
		}
		p.total += fi.Size()
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *ingestProgress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if time.Since(p.start) >= p.delay {
				p.draw()
			}
		}
	}
}

// begin notes that source i, spec, is being read.
func (p *ingestProgress) begin(i int, spec ingest.Spec) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.i, p.name, p.isStdin = i, spec.Path, spec.Path == "-"
	if p.isStdin {
		p.name = "<stdin>"
	}
	p.stdin.Store(0)
}

// reader counts the bytes read from r (standard input).
func (p *ingestProgress) reader(r io.Reader) io.Reader {
	if p == nil || r == nil {
		return r
	}
	return &countingReader{r: r, n: &p.stdin}
}

// end notes that the current source was read and parsed.
func (p *ingestProgress) end(src *store.SourceData) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isStdin {
		p.done += p.stdin.Load()
	} else if fi, err := os.Stat(p.name); err == nil {
		p.done += fi.Size()
	}
	p.stdin.Store(0)
	p.ended++
	p.hosts += len(src.Hosts)
}

// finish stops drawing. When a line was shown it is replaced by a summary
// if every source was read, and cleared otherwise (the error follows).
func (p *ingestProgress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.shown {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
	if p.ended == p.n {
		el := time.Since(p.start)
		fmt.Fprintf(p.w, "read %d sources: %s, %d hosts in %s (%s); writing the pass…\n",
			p.n, byteSize(p.done), p.hosts, el.Round(100*time.Millisecond), rate(p.done, el))
	}
}

func (p *ingestProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shown = true
	p.spin++
	el := time.Since(p.start)
	done := p.done + p.stdin.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "\r\x1b[Kingest [%d/%d] %s %c ", p.i+1, p.n, shorten(p.name, 32), `|/-\`[p.spin%4])
	if p.total > 0 {
		frac := min(float64(done)/float64(p.total), 1)
		fmt.Fprintf(&b, "%s %3.0f%% %s/%s", bar(frac, 20), 100*frac, byteSize(done), byteSize(p.total))
	} else {
		b.WriteString(byteSize(done))
	}
	fmt.Fprintf(&b, "  %d hosts  %s  %s", p.hosts, rate(done, el), el.Round(time.Second))
	io.WriteString(p.w, b.String())
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
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

// shorten keeps the end of a long path.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}
