package query

// Children returns the direct sub-expressions of n, left to right: the
// operands of a set operator, the operand of not and of @. Predicates,
// set names and host literals have none.
func Children(n Node) []Node {
	switch n := n.(type) {
	case *Binary:
		return []Node{n.L, n.R}
	case *Not:
		return []Node{n.X}
	case *At:
		return []Node{n.X}
	}
	return nil
}

// Inspect traverses the expression n depth-first, as go/ast.Inspect does:
// it calls f(n); if f returns true, it inspects each of n's Children and
// then calls f(nil).
func Inspect(n Node, f func(Node) bool) {
	if !f(n) {
		return
	}
	for _, c := range Children(n) {
		Inspect(c, f)
	}
	f(nil)
}
