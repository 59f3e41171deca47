package query

import (
	"strings"
	"unicode/utf8"

	"github.com/fleetq/fleetq/internal/fleet"
)

// The tree that explain and why print, shared by both. A chain of set
// operators `a + b - c …` lowers to a left-deep tree as deep as the chain
// is long; drawn as that tree, N terms print N nested expressions, each
// repeating the one below it: O(N²) characters. So a short chain is drawn
// as the tree and a long one flat, with one line per operator:
//
//	a + b - c & d …          the chain, with its result
//	├─ a                     its first term
//	├─ … + b                 the result so far, after + b
//	│  └─ b                  the term itself
//	├─ … - c
//	│  └─ c
//	…
//
// and every line's text is at most maxLabel bytes, so the output is linear
// in the number of terms.

// flatChain is the most terms a chain may have to be drawn as a tree.
const flatChain = 8

// maxLabel bounds the text of one line, in bytes: a longer expression is
// shown as its start, " … " and its end.
const maxLabel = 100

// treeLine is one line of an explanation tree, in depth-first order.
type treeLine struct {
	Node  Node       // its result is the line's set (a running result for `… OP TERM`)
	Pass  fleet.Pass // the pass Node is evaluated in
	Depth int
	Last  bool // last child of its parent
	Text  string
}

// walkTree calls visit for every line of the tree of n, evaluated in pass.
// It recurses only into nesting (parentheses, not, @), never along a
// chain, so its depth is bounded by MaxDepth.
func walkTree(env *Env, n Node, pass fleet.Pass, visit func(treeLine)) {
	t := &treeWalk{snap: env.Snap, visit: visit}
	t.node(n, pass, 0, true)
}

type treeWalk struct {
	snap  fleet.Snapshot
	visit func(treeLine)
}

func (t *treeWalk) node(n Node, pass fleet.Pass, depth int, last bool) {
	t.visit(treeLine{Node: n, Pass: pass, Depth: depth, Last: last, Text: clip(n.String())})
	switch n := n.(type) {
	case *Binary:
		t.binary(n, pass, depth+1)
		return
	case *At:
		if p, err := t.snap.Resolve(n.Ref); err == nil {
			pass = p
		}
	}
	for _, c := range Children(n) { // the one operand of not and @
		t.node(c, pass, depth+1, true)
	}
}

// binary draws the operands of n at depth: both as subtrees for a short
// chain, or the chain flat.
func (t *treeWalk) binary(n *Binary, pass fleet.Pass, depth int) {
	spine := leftSpine(n)
	if len(spine)+1 <= flatChain {
		t.node(n.L, pass, depth, false)
		t.node(n.R, pass, depth, true)
		return
	}
	t.node(spine[len(spine)-1].L, pass, depth, false)
	for i := len(spine) - 1; i >= 0; i-- {
		b := spine[i]
		text := "… " + string(b.Op) + " " + clip(rightOperand(b.R))
		t.visit(treeLine{Node: b, Pass: pass, Depth: depth, Last: i == 0, Text: text})
		t.node(b.R, pass, depth+1, true)
	}
}

// clip shortens s to about maxLabel bytes, cutting at blanks and keeping
// its start and end: `all + s0 - s1 … & s9`.
func clip(s string) string {
	if len(s) <= maxLabel {
		return s
	}
	h := maxLabel * 2 / 3
	for h > 0 && !utf8.RuneStart(s[h]) {
		h--
	}
	head := s[:h]
	if i := strings.LastIndexByte(head, ' '); i > 0 {
		head = head[:i]
	}
	e := len(s) - maxLabel/3
	for e < len(s) && !utf8.RuneStart(s[e]) {
		e++
	}
	tail := s[e:]
	if i := strings.IndexByte(tail, ' '); i >= 0 && i < len(tail)-1 {
		tail = tail[i+1:]
	}
	return head + " … " + tail
}
