package query

import (
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// WhyStep is one node of the expression tree with whether the host is in
// its result. In a long chain drawn flat (see walkTree), a step `… OP
// TERM` is the chain up to and including TERM.
type WhyStep struct {
	Depth  int    `json:"depth"`
	Text   string `json:"text"`
	In     bool   `json:"in"`
	Origin string `json:"origin"`
	Value  string `json:"value"` // for predicates: the host's value of the attribute
	Last   bool   `json:"last"`
}

// WhyReport tells, for one host, which term brought it into a result and
// which removed it.
type WhyReport struct {
	Host    string    `json:"host"`
	Pass    int64     `json:"pass"`
	In      bool      `json:"in"`
	Verdict string    `json:"verdict"`
	Steps   []WhyStep `json:"steps"`
}

// maxKept is how many terms that kept the host a verdict names; it counts
// the others.
const maxKept = 5

// Why evaluates st with tracing and explains host id's membership. Each
// node is evaluated once and only the host's membership is kept: the work
// and the report are linear in the number of terms.
func Why(env *Env, st *Statement, host string, id uint32) (*WhyReport, error) {
	in := map[Node]bool{}
	env.Trace = func(n Node, bm *roaring.Bitmap) { in[n] = bm.Contains(id) }
	defer func() { env.Trace = nil }()
	r, err := Run(env, st)
	if err != nil {
		return nil, err
	}
	pass := env.Snap.Current()
	w := &why{env: env, id: id, in: in}
	rep := &WhyReport{Host: host, Pass: pass.ID(), In: r.Hosts.Contains(id)}
	walkTree(env, st.Pipeline.Expr, pass, func(l treeLine) { rep.Steps = append(rep.Steps, w.step(l)) })
	rep.Verdict = w.verdict(st.Pipeline.Expr)
	if in[st.Pipeline.Expr] && !rep.In {
		rep.Verdict = fmt.Sprintf("%s was selected by the expression but not kept by the pipeline stages (%s)", host, stagesText(st))
	}
	return rep, nil
}

func stagesText(st *Statement) string {
	out := make([]string, len(st.Pipeline.Stages))
	for i, s := range st.Pipeline.Stages {
		out[i] = s.String()
	}
	return strings.Join(out, " | ")
}

type why struct {
	env *Env
	id  uint32
	in  map[Node]bool // whether the host is in each node's result
}

func (w *why) step(l treeLine) WhyStep {
	s := WhyStep{Depth: l.Depth, Text: l.Text, In: w.in[l.Node], Last: l.Last}
	switch n := l.Node.(type) {
	case *SetRef:
		s.Origin = w.origin(n.Name, l.Pass)
	case *Compare:
		s.Origin, s.Value = l.Pass.Origin(n.Left.Attr), w.value(n.Left.Attr, l.Pass)
	case *In:
		s.Origin, s.Value = l.Pass.Origin(n.Left.Attr), w.value(n.Left.Attr, l.Pass)
	case *Exists:
		s.Origin, s.Value = l.Pass.Origin(n.Left.Attr), w.value(n.Left.Attr, l.Pass)
	}
	return s
}

func (w *why) origin(name string, pass fleet.Pass) string {
	if _, ok := w.env.Bindings[name]; ok {
		return "session binding"
	}
	return fmt.Sprintf("pass %d: %s", pass.ID(), pass.Origin(name))
}

func (w *why) value(attr string, pass fleet.Pass) string {
	a, ok, err := pass.Attr(attr)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	if !ok {
		return ""
	}
	if v, ok := a.Value(w.id); ok {
		return v.String()
	}
	return "(no value)"
}

// verdict walks down the left of the chain to the term that decided
// membership, collecting the later terms that kept the host.
func (w *why) verdict(n Node) string {
	var kept []string // top down: the last term first
	for {
		b, ok := n.(*Binary)
		if !ok {
			return w.leaf(n) + keptText(kept)
		}
		decided, clause := w.decide(b)
		if decided != "" {
			return decided + keptText(kept)
		}
		if clause != "" {
			kept = append(kept, clause)
		}
		n = b.L
	}
}

func (w *why) leaf(n Node) string {
	if w.in[n] {
		return "in: brought in by " + clip(n.String())
	}
	return "not in " + clip(n.String())
}

// decide tells what operator b did to the host: decided is the verdict if
// b decided it; otherwise the verdict is b.L's, and clause says how b kept
// the host, if it did.
func (w *why) decide(b *Binary) (decided, clause string) {
	l, r := w.in[b.L], w.in[b.R]
	term := clip(rightOperand(b.R))
	switch b.Op {
	case '-':
		if l && r {
			return "removed by - " + term + " (the host is in it)", ""
		}
		if l {
			return "", "kept: not in " + term
		}
		return "", ""
	case '&':
		if l && !r {
			return "removed by & " + term + " (the host is not in it)", ""
		}
		if l {
			return "", "kept: also in " + term
		}
		return "", ""
	case '+':
		return w.union(b, l, r, term), ""
	}
	if l == r {
		return "removed by ^ " + term + " (in both sides or neither)", ""
	}
	return "in exactly one side of ^ " + term, ""
}

func (w *why) union(b *Binary, l, r bool, term string) string {
	switch {
	case l:
		return ""
	case r:
		return "in: brought in by + " + term
	}
	return "in neither " + clip(b.L.String()) + " nor " + clip(b.R.String())
}

// keptText renders the clauses of the terms that kept the host, in the
// order of the expression, naming at most maxKept.
func keptText(kept []string) string {
	var b strings.Builder
	for i := len(kept) - 1; i >= 0 && i >= len(kept)-maxKept; i-- {
		b.WriteString("; " + kept[i])
	}
	if len(kept) > maxKept {
		fmt.Fprintf(&b, "; kept by %d more terms", len(kept)-maxKept)
	}
	return b.String()
}
