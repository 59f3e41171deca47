package query

// Names lists the set and attribute names a statement reads from the
// current pass (not through @), each once, in order of appearance.
func Names(st *Statement) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	visit := func(n Node) bool {
		switch n := n.(type) {
		case *SetRef:
			add(n.Name)
		case *Compare:
			add(n.Left.Attr)
			add(n.Right.Attr)
		case *In:
			add(n.Left.Attr)
		case *Exists:
			add(n.Left.Attr)
		case *At:
			return false // read from another pass
		}
		return true
	}
	Inspect(st.Pipeline.Expr, visit)
	for _, s := range st.Pipeline.Stages {
		switch s := s.(type) {
		case *Where:
			Inspect(s.Pred, visit)
		case *Spread:
			add(s.Attr)
		case *By:
			add(s.Attr)
		case *Stratify:
			for _, a := range s.Attrs {
				add(a)
			}
		case *Show:
			for _, a := range s.Attrs {
				add(a)
			}
		}
	}
	return out
}
