package runfile

import (
	"errors"
	"fmt"
	"maps"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
)

// history evaluates the file in the current pass (k = 0) and, lazily and
// once each, in the passes before it: the file's bindings are named
// expressions, so `dead@-1` of a binding dead is dead's expression
// evaluated one pass back, and a trend reads counts k = 0..STEPS passes
// back. An earlier pass is a shifted snapshot of the same read view, so
// its own @-N references count from it.
type history struct {
	f    *File
	cur  *query.Env
	back map[int]*past
}

// past is the file evaluated, statement by statement, k passes back.
type past struct {
	k      int
	env    *query.Env // nil when there is no such pass
	noPass error      // why there is none (wraps fleet.ErrNoPass)
	next   int        // index in f.Lines of the next line to evaluate
	lines  map[int]outcome
	failed map[string]error // bindings that could not be evaluated there
}

// outcome is a statement line's value in one pass.
type outcome struct {
	n     uint64
	hosts *roaring.Bitmap
	err   error
}

func newHistory(env *query.Env, f *File) *history {
	if env.Bindings == nil {
		env.Bindings = map[string]*roaring.Bitmap{}
	}
	return &history{f: f, cur: env, back: map[int]*past{}}
}

// at is the state k ≥ 1 passes back.
func (h *history) at(k int) *past {
	if p, ok := h.back[k]; ok {
		return p
	}
	p := &past{k: k, lines: map[int]outcome{}, failed: map[string]error{}}
	h.back[k] = p
	pass, err := h.cur.Snap.Resolve(fleet.PassRef{Rel: -k})
	if err != nil {
		p.noPass = err
		return p
	}
	p.env = &query.Env{Ctx: h.cur.Ctx, Seed: h.cur.Seed, Bindings: map[string]*roaring.Bitmap{},
		Snap: &shifted{base: h.cur.Snap, cur: pass, k: k}}
	return p
}

// envAt is the environment of k passes back with the file evaluated up to
// (not including) line i.
func (h *history) envAt(k, i int) (*query.Env, *past, error) {
	if k == 0 {
		return h.cur, nil, nil
	}
	p := h.at(k)
	if p.env == nil {
		return nil, nil, p.noPass
	}
	for ; p.next < i; p.next++ {
		h.evalPast(p, p.next)
	}
	return p.env, p, nil
}

// evalPast evaluates statement line j in p; a binding that fails there is
// remembered, for the lines using it.
func (h *history) evalPast(p *past, j int) {
	l := &h.f.Lines[j]
	if l.Stmt == nil {
		return
	}
	res, err := h.statement(p.k, j, l.Stmt)
	bind := l.Stmt.Bind
	if err != nil {
		if !isNoPass(err) {
			err = &query.DefError{File: h.f.Path, Line: l.No, Err: err} // its line, not the one looking back
		}
		p.lines[j] = outcome{err: err}
		if bind != "" {
			p.failed[bind] = err
			delete(p.env.Bindings, bind)
		}
		return
	}
	p.lines[j] = outcome{n: count(res), hosts: res.Hosts}
	delete(p.failed, bind)
}

// statement runs statement line i k passes back, time travel of
// bindings resolved; a binding it makes is stored in that pass's env.
func (h *history) statement(k, i int, st *query.Statement) (*query.Result, error) {
	env, p, err := h.envAt(k, i)
	if err != nil {
		return nil, err
	}
	c := *st // Resolve decides NAME = … against this pass, on a copy
	if err := query.Resolve(env.Snap.Current(), &c); err != nil {
		return nil, err
	}
	if err := p.usable(&c); err != nil {
		return nil, err
	}
	expr, extra, err := h.rewrite(k, i, c.Pipeline.Expr)
	if err != nil {
		return nil, err
	}
	pl := *c.Pipeline
	pl.Expr = expr
	c.Pipeline = &pl
	run := withBindings(env, extra)
	res, err := query.Run(run, &c)
	if err != nil {
		return nil, err
	}
	if c.Bind != "" {
		env.Bindings[c.Bind] = run.Bindings[c.Bind]
	}
	return res, nil
}

// hosts evaluates expression n of line i k passes back.
func (h *history) hosts(k, i int, n query.Node) (*roaring.Bitmap, error) {
	st := &query.Statement{Text: h.f.Lines[i].Text, Pipeline: &query.Pipeline{Expr: n}}
	res, err := h.statement(k, i, st)
	if err != nil {
		return nil, err
	}
	return res.Hosts, nil
}

// lineCount is statement line i's count k passes back.
func (h *history) lineCount(k, i int) (uint64, error) {
	if _, _, err := h.envAt(k, i+1); err != nil {
		return 0, err
	}
	o := h.back[k].lines[i]
	return o.n, o.err
}

// passID names the pass k back, for messages.
func (h *history) passID(k int) int64 {
	if k == 0 {
		return h.cur.Snap.Current().ID()
	}
	if p := h.at(k); p.env != nil {
		return p.env.Snap.Current().ID()
	}
	return 0
}

// usable fails when st uses a binding that could not be evaluated in p.
func (p *past) usable(st *query.Statement) error {
	if p == nil {
		return nil
	}
	for _, n := range query.Names(st) {
		if err, ok := p.failed[n]; ok {
			return fmt.Errorf("%s in pass %d: %w", n, p.env.Snap.Current().ID(), err)
		}
	}
	return nil
}

// rewrite replaces each X@-N whose X uses a binding of the file (made
// before line i) with a reference to X evaluated N passes further back,
// returned in extra under a name no statement can write.
func (h *history) rewrite(k, i int, n query.Node) (query.Node, map[string]*roaring.Bitmap, error) {
	bound := h.boundBefore(i)
	extra := map[string]*roaring.Bitmap{}
	var walk func(n query.Node) (query.Node, error)
	walk = func(n query.Node) (query.Node, error) {
		switch n := n.(type) {
		case *query.Binary:
			l, err := walk(n.L)
			if err != nil {
				return nil, err
			}
			r, err := walk(n.R)
			if err != nil {
				return nil, err
			}
			c := *n
			c.L, c.R = l, r
			return &c, nil
		case *query.Not:
			x, err := walk(n.X)
			if err != nil {
				return nil, err
			}
			c := *n
			c.X = x
			return &c, nil
		case *query.At:
			name := usesBinding(n.X, bound)
			if name == "" {
				return n, nil
			}
			if n.Ref.ID != 0 || !n.Ref.At.IsZero() || n.Ref.Rel >= 0 {
				return nil, lineErr(h.f.Lines[i].Text, n.P.Offset, "%s is a binding of this file: time travel of a binding counts passes back (@-N), not @%s", name, n.Src)
			}
			bm, err := h.hosts(k-n.Ref.Rel, i, n.X)
			if err != nil {
				return nil, err
			}
			key := fmt.Sprintf("%s@%d#%d", n.X.String(), n.Ref.Rel, len(extra))
			extra[key] = bm
			return &query.SetRef{P: n.P, Name: key}, nil
		}
		return n, nil
	}
	out, err := walk(n)
	return out, extra, err
}

// boundBefore is the set of names bound by the statements before line i.
func (h *history) boundBefore(i int) map[string]bool {
	out := map[string]bool{}
	for _, l := range h.f.Lines[:i] {
		if l.Stmt != nil && l.Stmt.Bind != "" {
			out[l.Stmt.Bind] = true
		}
	}
	return out
}

// usesBinding is the first name in n (through @ too) that is in bound.
func usesBinding(n query.Node, bound map[string]bool) string {
	found := ""
	query.Inspect(n, func(n query.Node) bool {
		if r, ok := n.(*query.SetRef); ok && found == "" && bound[r.Name] {
			found = r.Name
		}
		return found == ""
	})
	return found
}

// withBindings is env with extra bindings added, on a copy of its map.
func withBindings(env *query.Env, extra map[string]*roaring.Bitmap) *query.Env {
	c := *env
	c.Bindings = maps.Clone(env.Bindings)
	if c.Bindings == nil {
		c.Bindings = map[string]*roaring.Bitmap{}
	}
	maps.Copy(c.Bindings, extra)
	return &c
}

// shifted is a snapshot whose current pass is k passes before base's:
// N passes back from it is N+k back from base's.
type shifted struct {
	base fleet.Snapshot
	cur  fleet.Pass
	k    int
}

func (s *shifted) Hosts() fleet.Hosts  { return s.base.Hosts() }
func (s *shifted) Current() fleet.Pass { return s.cur }
func (s *shifted) Resolve(ref fleet.PassRef) (fleet.Pass, error) {
	switch {
	case ref.IsCurrent():
		return s.cur, nil
	case ref.ID == 0 && ref.At.IsZero() && ref.Rel < 0:
		return s.base.Resolve(fleet.PassRef{Rel: ref.Rel - s.k})
	}
	return s.base.Resolve(ref)
}

// isNoPass reports whether err says a pass does not exist.
func isNoPass(err error) bool { return errors.Is(err, fleet.ErrNoPass) }
