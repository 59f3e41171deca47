package main

import (
	"context"
	"io"
	"os"
	"sync"
)

// Ctrl-C. main cancels the context of the running command on SIGINT; the
// command stops where it waits (for the database lock, on standard input,
// in a query) and returns, a write transaction it had open rolls back,
// Close removes its lock note, and fleetq exits exitInterrupted (130,
// 128+SIGINT, as a shell reports a command killed by Ctrl-C). A second
// Ctrl-C kills fleetq at once. The interactive REPL handles Ctrl-C itself:
// it cancels the running line, not the session (repl_liner.go).

// interrupted reports whether err ended a command that ctx's cancellation
// stopped: its exit status is then exitInterrupted.
func interrupted(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil
}

// interruptibleStdin is stdin whose Read returns the context's error once
// ctx is done, even while a read from a pipe or a terminal blocks. Regular
// files, and the readers tests pass, never block and are used as they are.
// A REPL line's command reads the session's stdin under its own context.
func interruptibleStdin(ctx context.Context, r io.Reader) io.Reader {
	switch in := r.(type) {
	case *ctxReader:
		return &ctxReader{p: in.p, ctx: ctx}
	case *os.File:
		if fi, err := in.Stat(); err == nil && !fi.Mode().IsRegular() {
			return &ctxReader{p: &readPump{f: in}, ctx: ctx}
		}
	}
	return r
}

// ctxReader reads through a readPump and stops waiting when ctx is done.
type ctxReader struct {
	p   *readPump
	ctx context.Context
}

// file is the file read, so that isTerminal sees a terminal through it.
func (c *ctxReader) file() *os.File { return c.p.f }

func (c *ctxReader) Read(b []byte) (int, error) { return c.p.read(c.ctx, b) }

// readPump does the reads of f in one goroutine, one read at a time and
// only when asked, so nothing is read ahead of what the command asked for.
// A read abandoned at an interrupt is kept for the next Read: no byte of
// the input is lost or read twice.
type readPump struct {
	f *os.File

	mu       sync.Mutex // one Read at a time
	once     sync.Once
	asks     chan int
	done     chan result
	inflight bool
	buf      []byte // the pump's buffer; between reads, what was read and not yet returned is left
	left     []byte
	leftErr  error
}

type result struct {
	n   int
	err error
}

func (p *readPump) start() {
	p.asks, p.done = make(chan int), make(chan result, 1)
	go func() {
		for n := range p.asks {
			if cap(p.buf) < n {
				p.buf = make([]byte, n)
			}
			k, err := p.f.Read(p.buf[:n])
			p.done <- result{k, err}
		}
	}()
}

func (p *readPump) read(ctx context.Context, b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.left) > 0 || p.leftErr != nil {
		return p.takeLeft(b)
	}
	if len(b) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.once.Do(p.start)
	if !p.inflight {
		p.inflight = true
		p.asks <- len(b)
	}
	select {
	case r := <-p.done:
		p.inflight = false
		p.left, p.leftErr = p.buf[:r.n], r.err
		return p.takeLeft(b)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// takeLeft returns what the last read got and was not yet returned.
func (p *readPump) takeLeft(b []byte) (int, error) {
	n := copy(b, p.left)
	p.left = p.left[n:]
	if len(p.left) > 0 {
		return n, nil
	}
	err := p.leftErr
	p.leftErr = nil
	return n, err
}
