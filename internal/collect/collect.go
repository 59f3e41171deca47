package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

// Options control a collect.
type Options struct {
	// Limits bound every source as they bound fleetq ingest's.
	Limits ingest.Limits
	// Now is the time every snapshot is recorded as read at (the pass's).
	Now func() time.Time
}

// Result is what reading one source came to: its snapshot, or why
// there is none.
type Result struct {
	Source  *Source
	Data    *store.SourceData // nil when Failure is set
	Failure *Failure
	Elapsed time.Duration
}

// Failure is why a source could not be read this time.
type Failure struct {
	Reason string
	Stderr string // the tail of a command's stderr, "" for others
}

// Run reads every source of f concurrently, each within its Timeout and
// all within ctx (the caller bounds it by the file's deadline), and
// returns one Result per source in the file's order. A source still
// running when ctx ends fails with ctx's reason.
func Run(ctx context.Context, f *File, opts Options) []Result {
	out := make([]Result, len(f.Sources))
	var wg sync.WaitGroup
	for i, s := range f.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			data, fail := readOne(ctx, s, opts)
			out[i] = Result{Source: s, Data: data, Failure: fail, Elapsed: time.Since(start)}
		}()
	}
	wg.Wait()
	return out
}

// errTimeout is the cause of a source's own timeout, told apart from the
// collect's deadline and an interrupt.
var errTimeout = errors.New("timeout")

// readOne reads one source within its timeout. Commands and requests
// stop when the context ends (a command's process group is killed); a
// file read that does not end at the timeout (a hung mount) is abandoned:
// its goroutine finishes or dies with the process.
func readOne(parent context.Context, s *Source, opts Options) (*store.SourceData, *Failure) {
	ctx, cancel := context.WithTimeoutCause(parent, s.Timeout, errTimeout)
	defer cancel()
	if s.Path == "" {
		return stopped(ctx, s)(read(ctx, s, opts))
	}
	type done struct {
		data *store.SourceData
		fail *Failure
	}
	ch := make(chan done, 1)
	go func() {
		d, f := read(ctx, s, opts)
		ch <- done{d, f}
	}()
	select {
	case d := <-ch:
		return stopped(ctx, s)(d.data, d.fail)
	case <-ctx.Done():
		return nil, &Failure{Reason: stopReason(ctx, s)}
	}
}

// stopped gives a failure that ctx's end caused the reason why it ended,
// keeping the stderr tail.
func stopped(ctx context.Context, s *Source) func(*store.SourceData, *Failure) (*store.SourceData, *Failure) {
	return func(d *store.SourceData, f *Failure) (*store.SourceData, *Failure) {
		if f != nil && ctx.Err() != nil {
			f.Reason = stopReason(ctx, s)
		}
		return d, f
	}
}

// stopReason says why ctx ended a source: its timeout, the collect's
// deadline, or an interrupt.
func stopReason(ctx context.Context, s *Source) string {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimeout):
		what := ""
		if len(s.Command) > 0 {
			what = " (its process group was killed)"
		}
		return fmt.Sprintf("timed out after %s%s", s.Timeout, what)
	case errors.Is(cause, context.DeadlineExceeded):
		return "the collect's deadline passed before it was read"
	default:
		return "interrupted: " + cause.Error()
	}
}

func read(ctx context.Context, s *Source, opts Options) (*store.SourceData, *Failure) {
	switch {
	case s.Path != "":
		src, err := ingest.Read(ingest.Spec{Kind: s.Kind, Name: s.Name, Path: s.Path}, ingestOptions(s, opts, nil))
		if err != nil {
			return nil, &Failure{Reason: err.Error()}
		}
		return src, nil
	case len(s.Command) > 0:
		out, stderr, err := runCommand(ctx, s, limitsOf(opts).SourceBytes)
		if err != nil {
			return nil, &Failure{Reason: err.Error(), Stderr: stderr}
		}
		src, fail := parse(s, opts, out)
		if fail != nil {
			fail.Stderr = stderr
		}
		return src, fail
	}
	body, err := fetch(ctx, s, limitsOf(opts).SourceBytes)
	if err != nil {
		return nil, &Failure{Reason: err.Error()}
	}
	return parse(s, opts, body)
}

// parse parses what a command printed or a URL answered as the source's
// kind, named after the source in messages (`source hdfs:12: …`).
func parse(s *Source, opts Options, data []byte) (*store.SourceData, *Failure) {
	src, err := ingest.Read(ingest.Spec{Kind: s.Kind, Name: s.Name, Path: "-"}, ingestOptions(s, opts, data))
	if err != nil {
		return nil, &Failure{Reason: err.Error()}
	}
	src.Path = s.Origin()
	return src, nil
}

func ingestOptions(s *Source, opts Options, data []byte) ingest.Options {
	o := ingest.Options{Limits: opts.Limits, Now: opts.Now, StdinName: "source " + s.Name, AllowEmpty: s.AllowEmpty}
	if data != nil {
		o.Stdin = bytes.NewReader(data)
	}
	return o
}

func limitsOf(opts Options) ingest.Limits {
	l := opts.Limits
	if l.SourceBytes <= 0 {
		l.SourceBytes = ingest.DefaultSourceBytes
	}
	return l
}
