package main

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/freshness"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

type queryOptions struct {
	pass      int64
	seed      uint64
	failEmpty bool
}

func (o *queryOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "evaluate in pass N (default: the newest)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for sample/spread/stratify/split (default: random, printed)")
	fs.BoolVar(&o.failEmpty, "fail-empty", false, "exit 5 when the result is empty")
}

// Validate accepts any pass id: one the database lacks is an error when
// it is read.
func (o *queryOptions) Validate() error { return nil }

func newQueryCommand(a *app) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query EXPR",
		Short: "Evaluate a set expression and print the hosts",
		Long: `Evaluate EXPR in the newest pass (or --pass N) and print the result: one
host per line in byte order (what LC_ALL=C sort gives), or a count, a table
(by, show) or batches (split). 'fleetq EXPR' is short for 'fleetq query EXPR'.

Set operators + - & ^ have EQUAL precedence and associate to the LEFT:
'all - hadoop_exclude & responsive' is '(all - hadoop_exclude) & responsive'.
The difference operator needs spaces: a-b is one name. Unknown names are
errors, never empty sets. When a stage draws random numbers, the seed is
printed on stderr; --seed replays it. See 'fleetq help language'.

Examples:
  fleetq query 'all - hadoop_exclude & responsive | sample 5'
  fleetq query 'role = "hadoop-worker" & lifecycle = "dead" | by cluster'
  fleetq query --format folded 'cluster = "smf1-dense-02"'
  fleetq query 'dead - dead@-1'

` + exitCodesHelp,
		Args:              exprArgs(1),
		ValidArgsFunction: a.completeExprArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd.Context(), a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*queryResult)(nil))
}

// newEnv opens a snapshot for evaluation at --pass.
func newEnv(ctx context.Context, tx *store.Tx, o *queryOptions) (*query.Env, error) {
	snap, err := tx.Snapshot(o.pass)
	if err != nil {
		return nil, err
	}
	seed := o.seed
	if seed == 0 {
		seed = randomSeed()
	}
	return &query.Env{Ctx: ctx, Snap: snap, Seed: seed}, nil
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1
}

// parseStatement parses text against the current pass's attributes.
func parseStatement(env *query.Env, text string) (*query.Statement, error) {
	st, err := query.Parse(text)
	if err != nil {
		return nil, err
	}
	if err := query.Resolve(env.Snap.Current(), st); err != nil {
		return nil, err
	}
	return st, nil
}

func runQuery(ctx context.Context, a *app, o *queryOptions, text string) error {
	var out *queryResult
	held := &heldOutput{w: a.stdout}
	defer held.discard()
	err := a.view(func(tx *store.Tx) (err error) {
		env, err := newEnv(ctx, tx, o)
		if err != nil {
			return err
		}
		if out, err = evalStatement(tx, env, a, text, nil); err != nil {
			return err
		}
		return a.printStatement(held, out, "--seed") // host sets stream from tx
	})
	if err != nil {
		return err
	}
	if err := held.release(); err != nil {
		return err
	}
	if o.failEmpty && out.empty {
		return &exitError{code: exitNoMatch, err: fmt.Errorf("empty result"), silent: true}
	}
	return nil
}

// evalStatement parses and runs one statement in env, the one way both
// fleetq query and the REPL do; its result is printed (printStatement)
// inside the same transaction. bind keeps the hosts of a NAME = … binding; nil refuses
// bindings (a one-shot query, where one would vanish).
func evalStatement(tx *store.Tx, env *query.Env, a *app, text string, bind func(string, *roaring.Bitmap)) (*queryResult, error) {
	st, err := parseStatement(env, text)
	if err != nil {
		return nil, err
	}
	if bind == nil {
		if err := noBinding(env, st); err != nil {
			return nil, err
		}
	}
	r, err := query.Run(env, st)
	if err != nil {
		return nil, err
	}
	var out *queryResult
	if r.Bound != "" {
		bind(r.Bound, r.Hosts)
		out = &queryResult{bound: r.Bound, size: r.Hosts.GetCardinality(), seed: env.Seed, random: r.Random}
	} else {
		out = render(tx, env, r)
	}
	out.warnings = append(env.Warnings, staleWarnings(tx, env, st, a.stale)...)
	if err := tx.Err(); err != nil {
		return nil, err // damage read while evaluating: print nothing
	}
	return out, nil
}

// printStatement prints a statement's warnings and seed (replayed with
// seedFlag) on stderr, then its result, or the size of its binding, in
// the app's format.
func (a *app) printStatement(w io.Writer, out *queryResult, seedFlag string) error {
	for _, warn := range out.warnings {
		fmt.Fprintln(a.stderr, "fleetq: warning: "+warn)
	}
	if out.random {
		fmt.Fprintf(a.stderr, "# seed %d (replay with %s %d)\n", out.seed, seedFlag, out.seed)
	}
	if out.bound != "" {
		fmt.Fprintf(a.stderr, "# %s = %d hosts\n", out.bound, out.size)
		return nil
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := renderAs(&textWriter{Writer: bw, compact: a.compactJSON}, a.format, out); err != nil {
		return err
	}
	if out.err != nil {
		return out.err
	}
	return bw.Flush()
}

// heldOutputMax is how much of a result heldOutput holds in memory.
const heldOutputMax = 2 << 20

// heldOutput is where a result printed inside the read transaction goes,
// so that nothing downstream of fleetq (| less, a slow pipe) holds the
// database's shared lock and keeps a writer waiting: everything is
// written by release, after the transaction is gone. The first
// heldOutputMax bytes are held in memory; past that the output spills to
// an unlinked temporary file, so memory stays bounded whatever the
// result's size, and a read that fails midway (damage met by a later
// batch) leaves no partial result in a file. Only /dev/null, or a system
// where no temporary file can be made, is written through.
type heldOutput struct {
	w       io.Writer
	chunks  [][]byte // of heldChunk bytes each, never grown by copying
	size    int
	spill   *os.File
	through bool
}

const heldChunk = 64 << 10

func (h *heldOutput) Write(p []byte) (int, error) {
	switch {
	case h.through:
		return h.w.Write(p)
	case h.spill != nil:
		return h.spill.Write(p)
	case h.size+len(p) <= heldOutputMax:
		h.hold(p)
		return len(p), nil
	}
	if err := h.overflow(); err != nil {
		return 0, err
	}
	return h.Write(p)
}

// overflow moves what is held to a temporary file, or writes it through.
func (h *heldOutput) overflow() error {
	f, err := spillFile(h.w)
	if f == nil {
		h.through = true
		return errors.Join(err, h.writeHeld(h.w))
	}
	h.spill = f
	return h.writeHeld(f)
}

// spillFile returns an unlinked temporary file for output bound for w, or
// nil when w is /dev/null or no file can be made.
func spillFile(w io.Writer) (*os.File, error) {
	if out, ok := w.(*os.File); ok && isDevNull(out) {
		return nil, nil
	}
	f, err := os.CreateTemp("", "fleetq-out-*")
	if err != nil {
		return nil, nil // write through: the lock is held longer, nothing is lost
	}
	if err := os.Remove(f.Name()); err != nil {
		return nil, f.Close() // write through rather than leave a file behind
	}
	return f, nil
}

func isDevNull(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(fi, null)
}

func (h *heldOutput) hold(p []byte) {
	h.size += len(p)
	for len(p) > 0 {
		if n := len(h.chunks); n == 0 || len(h.chunks[n-1]) == heldChunk {
			h.chunks = append(h.chunks, make([]byte, 0, heldChunk))
		}
		last := &h.chunks[len(h.chunks)-1]
		k := min(len(p), heldChunk-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

func (h *heldOutput) writeHeld(w io.Writer) error {
	chunks := h.chunks
	h.chunks, h.size = nil, 0
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// discard drops what is held or spilled, on an error path (release after
// it writes nothing).
func (h *heldOutput) discard() {
	h.chunks, h.size = nil, 0
	if h.spill != nil {
		_ = h.spill.Close() // unlinked already: closing frees it
		h.spill = nil
	}
}

// release writes what is held or spilled, and removes the spill file.
func (h *heldOutput) release() error {
	if h.spill == nil {
		return h.writeHeld(h.w)
	}
	f := h.spill
	h.spill = nil
	_, err := f.Seek(0, io.SeekStart)
	if err == nil {
		_, err = io.Copy(h.w, f)
	}
	return errors.Join(err, f.Close())
}

// staleWarnings names the carried sources older than limit that the
// statement reads: a stale control-plane snapshot is a reason to doubt
// the answer.
func staleWarnings(tx *store.Tx, env *query.Env, st *query.Statement, limit time.Duration) []string {
	p, err := tx.Pass(env.Snap.Current().ID())
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range freshness.StaleSources(p, query.Names(st), limit) {
		out = append(out, fmt.Sprintf("%s was read by pass %d, %s before pass %d (--stale-after %s); %s comes from it", s.Source, s.ReadBy, agefmt.Age(s.Age), s.Pass, s.Limit, s.Name))
	}
	return out
}

// noBinding refuses NAME = … in a one-shot query: the binding would
// vanish with the process, so the operator almost surely meant a
// comparison with a misspelt attribute.
func noBinding(env *query.Env, st *query.Statement) error {
	if st.Bind == "" {
		return nil
	}
	hint := "; to compare an attribute write ATTR == VALUE"
	if s := query.Closest(st.Bind, env.Snap.Current().AttrNames()); s != "" {
		hint = fmt.Sprintf(" (no attribute %q; did you mean %s?)", st.Bind, s)
	}
	return &query.Error{Pos: st.BindPos, Input: st.Text,
		Msg: fmt.Sprintf("%s = … binds a name, which lasts only for a REPL session or a query file%s", st.Bind, hint)}
}
