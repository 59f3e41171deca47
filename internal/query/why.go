package query

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// WhyStep is one node of the expression tree with whether the host is in
// its result.
type WhyStep struct {
	Depth  int
	Text   string
	In     bool
	Origin string
	Value  string // for predicates: the host's value of the attribute
	Last   bool
}

// WhyReport tells, for one host, which term brought it into a result and
// which removed it.
type WhyReport struct {
	Host    string
	Pass    int64
	In      bool
	Verdict string
	Steps   []WhyStep
}

// Why evaluates st with tracing and explains host id's membership.
func Why(env *Env, st *Statement, host string, id uint32) (*WhyReport, error) {
	env.Trace = map[Node]*roaring.Bitmap{}
	defer func() { env.Trace = nil }()
	r, err := Run(env, st)
	if err != nil {
		return nil, err
	}
	pass := env.Snap.Current()
	w := &why{env: env, id: id}
	rep := &WhyReport{Host: host, Pass: pass.ID(), In: r.Hosts.Contains(id)}
	w.walk(st.Pipeline.Expr, pass, 0, true, &rep.Steps)
	exprIn := env.Trace[st.Pipeline.Expr].Contains(id)
	rep.Verdict = w.verdict(st.Pipeline.Expr, pass)
	if exprIn && !rep.In {
		rep.Verdict = fmt.Sprintf("%s was selected by the expression but not kept by the pipeline stages (%s)", host, stagesText(st))
	}
	return rep, nil
}

func stagesText(st *Statement) string {
	out := ""
	for i, s := range st.Pipeline.Stages {
		if i > 0 {
			out += " | "
		}
		out += s.String()
	}
	return out
}

type why struct {
	env *Env
	id  uint32
}

func (w *why) in(n Node) bool {
	bm := w.env.Trace[n]
	return bm != nil && bm.Contains(w.id)
}

func (w *why) walk(n Node, pass Pass, depth int, last bool, out *[]WhyStep) {
	s := WhyStep{Depth: depth, Text: n.String(), In: w.in(n), Last: last}
	var kids []Node
	switch n := n.(type) {
	case *SetRef:
		s.Origin = w.origin(n.Name, pass)
	case *Binary:
		kids = []Node{n.L, n.R}
	case *Not:
		kids = []Node{n.X}
	case *At:
		if p, err := w.env.Snap.Resolve(n.Ref); err == nil {
			pass = p
		}
		kids = []Node{n.X}
	case *Compare:
		s.Origin, s.Value = pass.Origin(n.Left.Attr), w.value(n.Left.Attr, pass)
	case *In:
		s.Origin, s.Value = pass.Origin(n.Left.Attr), w.value(n.Left.Attr, pass)
	case *Exists:
		s.Origin, s.Value = pass.Origin(n.Left.Attr), w.value(n.Left.Attr, pass)
	}
	*out = append(*out, s)
	for i, k := range kids {
		w.walk(k, pass, depth+1, i == len(kids)-1, out)
	}
}

func (w *why) origin(name string, pass Pass) string {
	if _, ok := w.env.Bindings[name]; ok {
		return "session binding"
	}
	return fmt.Sprintf("pass %d: %s", pass.ID(), pass.Origin(name))
}

func (w *why) value(attr string, pass Pass) string {
	a, ok := pass.Attr(attr)
	if !ok {
		return ""
	}
	if v, ok := a.Value(w.id); ok {
		return v.String()
	}
	return "(no value)"
}

// verdict walks down the tree to the term that decided membership.
func (w *why) verdict(n Node, pass Pass) string {
	b, ok := n.(*Binary)
	if !ok {
		if w.in(n) {
			return fmt.Sprintf("in: brought in by %s", n.String())
		}
		return fmt.Sprintf("not in %s", n.String())
	}
	l, r := w.in(b.L), w.in(b.R)
	switch b.Op {
	case '-':
		if l && r {
			return fmt.Sprintf("removed by - %s (the host is in it)", b.R.String())
		}
		if !l {
			return w.verdict(b.L, pass)
		}
		return w.verdict(b.L, pass) + fmt.Sprintf("; kept: not in %s", b.R.String())
	case '&':
		if !l {
			return w.verdict(b.L, pass)
		}
		if !r {
			return fmt.Sprintf("removed by & %s (the host is not in it)", b.R.String())
		}
		return w.verdict(b.L, pass) + fmt.Sprintf("; kept: also in %s", b.R.String())
	case '+':
		if l {
			return w.verdict(b.L, pass)
		}
		if r {
			return fmt.Sprintf("in: brought in by + %s", b.R.String())
		}
		return fmt.Sprintf("in neither %s nor %s", b.L.String(), b.R.String())
	}
	if l == r {
		return fmt.Sprintf("removed by ^ %s (in both sides or neither)", b.R.String())
	}
	return fmt.Sprintf("in exactly one side of ^ %s", b.R.String())
}
