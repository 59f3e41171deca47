package query

import (
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
)

// Step is one line of an explanation: a node of the expression tree (or a
// pipeline stage) with the size of its result. In a long chain drawn flat
// (see walkTree), a step `… OP TERM` is the result of the chain up to and
// including TERM, and TERM's own line follows one level deeper.
type Step struct {
	Depth  int    `json:"depth"`
	Text   string `json:"text"`
	Size   uint64 `json:"hosts"`
	Origin string `json:"origin"` // where a named set or attribute comes from
	Last   bool   `json:"last"`   // last child of its parent (for drawing the tree)
	Stage  bool   `json:"stage"`
}

// Explain evaluates a statement and returns its expression tree with the
// size of every intermediate set, so an operator can see where a
// candidate pool shrank. Each node is evaluated once and only its size is
// kept: the work and the output are linear in the number of terms.
func Explain(env *Env, st *Statement) ([]Step, *Result, error) {
	sizes := map[Node]uint64{}
	env.Trace = func(n Node, bm *roaring.Bitmap) { sizes[n] = bm.GetCardinality() }
	defer func() { env.Trace = nil }()
	r, err := Run(env, st)
	if err != nil {
		return nil, nil, err
	}
	var steps []Step
	walkTree(env, st.Pipeline.Expr, env.Snap.Current(), func(l treeLine) {
		steps = append(steps, Step{Depth: l.Depth, Text: l.Text, Size: sizes[l.Node], Last: l.Last, Origin: origin(env, l)})
	})
	for i, s := range st.Pipeline.Stages {
		steps = append(steps, Step{Text: "| " + s.String(), Size: r.StageSizes[i], Stage: true})
	}
	return steps, r, nil
}

// origin tells where the set of a line comes from: a binding, a source of
// the pass, another pass.
func origin(env *Env, l treeLine) string {
	switch n := l.Node.(type) {
	case *SetRef:
		if _, ok := env.Bindings[n.Name]; ok {
			return "session binding"
		}
		return l.Pass.Origin(n.Name)
	case *At:
		if p, err := env.Snap.Resolve(n.Ref); err == nil {
			return "pass " + strconv.FormatInt(p.ID(), 10)
		}
	case *Compare:
		return l.Pass.Origin(n.Left.Attr)
	case *In:
		return l.Pass.Origin(n.Left.Attr)
	case *Exists:
		return l.Pass.Origin(n.Left.Attr)
	}
	return ""
}
