package query

import (
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
)

// Step is one line of an explanation: a node of the expression tree (or a
// pipeline stage) with the size of its result.
type Step struct {
	Depth  int
	Text   string
	Size   uint64
	Origin string // where a named set or attribute comes from
	Last   bool   // last child of its parent (for drawing the tree)
	Stage  bool
}

// Explain evaluates a statement and returns its expression tree with the
// size of every intermediate set, so an operator can see where a
// candidate pool shrank.
func Explain(env *Env, st *Statement) ([]Step, *Result, error) {
	env.Trace = map[Node]*roaring.Bitmap{}
	defer func() { env.Trace = nil }()
	r, err := Run(env, st)
	if err != nil {
		return nil, nil, err
	}
	var steps []Step
	walkSteps(env, st.Pipeline.Expr, env.Snap.Current(), 0, true, &steps)
	for i, s := range st.Pipeline.Stages {
		steps = append(steps, Step{Text: "| " + s.String(), Size: r.StageSizes[i], Stage: true})
	}
	return steps, r, nil
}

func walkSteps(env *Env, n Node, pass Pass, depth int, last bool, out *[]Step) {
	st := Step{Depth: depth, Text: n.String(), Last: last}
	if bm := env.Trace[n]; bm != nil {
		st.Size = bm.GetCardinality()
	}
	var kids []Node
	switch n := n.(type) {
	case *SetRef:
		if _, ok := env.Bindings[n.Name]; ok {
			st.Origin = "session binding"
		} else {
			st.Origin = pass.Origin(n.Name)
		}
	case *Binary:
		kids = []Node{n.L, n.R}
	case *Not:
		kids = []Node{n.X}
	case *At:
		if p, err := env.Snap.Resolve(n.Ref); err == nil {
			pass = p
			st.Origin = "pass " + strconv.FormatInt(p.ID(), 10)
		}
		kids = []Node{n.X}
	case *Compare:
		st.Origin = pass.Origin(n.Left.Attr)
	case *In:
		st.Origin = pass.Origin(n.Left.Attr)
	case *Exists:
		st.Origin = pass.Origin(n.Left.Attr)
	}
	*out = append(*out, st)
	for i, k := range kids {
		walkSteps(env, k, pass, depth+1, i == len(kids)-1, out)
	}
}
