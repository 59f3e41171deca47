package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// session is the state a REPL keeps between statements: where it is in
// time, its bindings and its seed. It never holds the database open.
type session struct {
	a        *app
	pass     int64  // 0: follow the newest pass
	seed     uint64 // 0: a random seed per statement
	bindings map[string]*roaring.Bitmap
	lastSeen int64 // the newest pass at the previous prompt
	vocab    *vocabCache
	commands []string // fleetq commands a line may start with
}

func newSession(a *app, o *replOptions) *session {
	return &session{a: a, pass: o.pass, seed: o.seed, bindings: map[string]*roaring.Bitmap{}, vocab: &vocabCache{}}
}

// errQuit ends the REPL (:quit).
var errQuit = errors.New("quit")

// script runs one statement per line of r with no prompt and returns how
// many failed. Errors go to stderr with their line number.
func (s *session) script(ctx context.Context, r io.Reader) int {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	failed := 0
	for n := 1; sc.Scan(); n++ {
		if ctx.Err() != nil {
			return failed + 1
		}
		err := s.exec(ctx, sc.Text())
		if errors.Is(err, errQuit) {
			break
		}
		if err != nil {
			failed++
			s.report(fmt.Sprintf("line %d: ", n), err)
		}
	}
	if err := sc.Err(); err != nil {
		failed++
		s.report("", err)
	}
	return failed
}

// report prints an error as `fleetq: …` on stderr (red on a terminal),
// with the caret detail of a query error.
func (s *session) report(prefix string, err error) {
	if alreadyReported(err) {
		return
	}
	w := s.a.stderr
	fmt.Fprintln(rawWriter(w), s.a.paint(w, ansiRed, "fleetq: "+prefix+firstLine(err.Error())))
	var qe *query.Error
	if errors.As(err, &qe) && qe.Input != "" {
		fmt.Fprintln(w, qe.Detail())
	}
}

// exec runs one line: a :command, a fleetq command, or a statement.
func (s *session) exec(ctx context.Context, line string) error {
	line = strings.TrimSpace(line)
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return nil
	case strings.HasPrefix(line, ":"):
		return s.meta(ctx, line)
	}
	if name := leadingWord(line); s.isCommand(name) && !s.isSetName(name) {
		return s.command(ctx, line)
	}
	return s.statement(ctx, line)
}

func leadingWord(line string) string {
	if f := strings.Fields(line); len(f) > 0 {
		return f[0]
	}
	return ""
}

// view runs fn in one read transaction with an Env at the session's pass
// and bindings; the database is closed when fn returns.
func (s *session) view(ctx context.Context, fn func(tx *store.Tx, env *query.Env) error) error {
	return s.a.view(func(tx *store.Tx) error {
		env, err := newEnv(ctx, tx, &queryOptions{pass: s.pass, seed: s.seed})
		if err != nil {
			return err
		}
		env.Bindings = s.bindings
		return fn(tx, env)
	})
}

// statement evaluates one statement of the language and prints its result
// the way `fleetq query` does.
func (s *session) statement(ctx context.Context, text string) error {
	held := &heldOutput{w: &cancelWriter{ctx: ctx, w: s.a.stdout}}
	defer held.discard()
	err := s.view(ctx, func(tx *store.Tx, env *query.Env) error {
		out, err := evalStatement(tx, env, s.a, text, s.bind)
		if err != nil {
			return err
		}
		return s.a.printStatement(held, out, ":seed") // host sets stream from tx
	})
	if err != nil {
		return err
	}
	return held.release()
}

// cancelWriter stops a long result at Ctrl-C: it writes in chunks and
// fails once ctx is canceled.
type cancelWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *cancelWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if c.ctx.Err() != nil {
			return n, query.ErrCanceled
		}
		k, err := c.w.Write(b[:min(len(b), 32<<10)])
		n, b = n+k, b[k:]
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// bind keeps a binding past the transaction: a set read from the file
// points into its memory map, so the session keeps a private copy.
func (s *session) bind(name string, hosts *roaring.Bitmap) {
	c := hosts.Clone()
	c.CloneCopyOnWriteContainers()
	s.bindings[name] = c
}

func (s *session) bindingNames() []string {
	out := make([]string, 0, len(s.bindings))
	for k := range s.bindings {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// isSetName reports whether name is a binding or a set of the current
// pass, so a set called like a command (a host list named "diff") still
// reads as a statement.
func (s *session) isSetName(name string) bool {
	if _, ok := s.bindings[name]; ok {
		return true
	}
	return sortedHas(s.vocab.get(s).sets, name)
}

// prompt is `fleetq DB @PASS> `; it notes on stderr when the session
// follows the newest pass and a new one has appeared.
func (s *session) prompt() string {
	s.vocab.reset()
	at := "none"
	var latest int64
	_ = s.a.view(func(tx *store.Tx) error {
		latest = tx.LatestID()
		return nil
	})
	switch {
	case s.pass != 0:
		at = fmt.Sprint(s.pass)
	case latest != 0:
		at = fmt.Sprint(latest)
		if s.lastSeen != 0 && latest != s.lastSeen {
			fmt.Fprintf(s.a.stderr, "# new pass %d (was %d); following the newest pass\n", latest, s.lastSeen)
		}
	}
	s.lastSeen = latest
	return fmt.Sprintf("fleetq %s @%s> ", s.a.dbPath(), at)
}
