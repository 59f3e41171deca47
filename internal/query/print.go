package query

import (
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/fleet"
)

// String renders nodes canonically: parsing the output gives the same
// tree. Set operators are printed flat to the left (they associate left)
// and a binary right operand is parenthesised.

func (n *SetRef) String() string   { return n.Name }
func (n *HostList) String() string { return strconv.Quote(n.Pattern) }

// String prints a chain of set operators (a tree as deep as it is long)
// from its left spine, in time linear in its length.
func (n *Binary) String() string {
	var b strings.Builder
	spine := leftSpine(n)
	b.WriteString(spine[len(spine)-1].L.String())
	for i := len(spine) - 1; i >= 0; i-- {
		b.WriteByte(' ')
		b.WriteByte(spine[i].Op)
		b.WriteByte(' ')
		b.WriteString(rightOperand(spine[i].R))
	}
	return b.String()
}

// rightOperand prints the right operand of a set operator, parenthesised
// when it is itself one.
func rightOperand(n Node) string {
	if _, ok := n.(*Binary); ok {
		return "(" + n.String() + ")"
	}
	return n.String()
}

func (n *Not) String() string {
	x := n.X.String()
	if _, ok := n.X.(*Binary); ok {
		x = "(" + x + ")"
	}
	return "(not " + x + ")"
}

func (n *At) String() string {
	x := n.X.String()
	if _, ok := n.X.(*SetRef); !ok {
		x = "(" + x + ")"
	}
	return x + "@" + n.Src
}

func (o Operand) String() string {
	if o.Age {
		return "age(" + o.Attr + ")"
	}
	return o.Attr
}

func (l Literal) String() string {
	switch {
	case l.Attr != "":
		return l.Attr
	case l.Kind == fleet.String:
		return strconv.Quote(l.Str)
	}
	return l.Text
}

func (n *Compare) String() string { return n.Left.String() + " " + n.Op + " " + n.Right.String() }

func (n *In) String() string {
	vals := make([]string, len(n.Values))
	for i, v := range n.Values {
		vals[i] = v.String()
	}
	op := " in ("
	if n.Negate {
		op = " notin ("
	}
	return n.Left.String() + op + strings.Join(vals, ", ") + ")"
}

func (n *Exists) String() string { return n.Left.String() + " exists" }

func (s *Sample) String() string {
	out := "sample " + strconv.FormatFloat(s.N, 'f', -1, 64)
	if s.Percent {
		out += "%"
	}
	if s.Stable {
		out += " stable"
	}
	return out
}

func (s *Head) String() string   { return "head " + strconv.Itoa(s.N) }
func (s *Spread) String() string { return "spread " + s.Attr + " " + strconv.Itoa(s.N) }
func (s *Stratify) String() string {
	return "stratify " + strings.Join(s.Attrs, ",") + " " + strconv.Itoa(s.N)
}
func (s *Where) String() string { return "where " + s.Pred.String() }
func (s *Count) String() string { return "count" }
func (s *By) String() string    { return "by " + s.Attr }
func (s *Show) String() string  { return "show " + strings.Join(s.Attrs, ",") }
func (s *Split) String() string { return "split " + strconv.Itoa(s.N) }

func (p *Pipeline) String() string {
	var b strings.Builder
	b.WriteString(p.Expr.String())
	for _, s := range p.Stages {
		b.WriteString(" | ")
		b.WriteString(s.String())
	}
	return b.String()
}

// String renders the statement. A statement that would start `NAME =`
// without being a binding (the predicate reading of `NAME = …`, see Resolve) is wrapped in
// parentheses, so Parse reads it back as the same tree.
func (s *Statement) String() string {
	if s.Bind != "" {
		return s.Bind + " = " + s.Pipeline.String()
	}
	if c, ok := leftmost(s.Pipeline.Expr).(*Compare); ok && c.Op == "=" && !c.Left.Age {
		p := *s.Pipeline
		p.Expr = &group{p.Expr}
		return p.String()
	}
	return s.Pipeline.String()
}

func leftmost(n Node) Node {
	for {
		b, ok := n.(*Binary)
		if !ok {
			return n
		}
		n = b.L
	}
}

// leftSpine is the chain of set operators down the left of n, n first: for
// `a + b - c`, the `-` then the `+`.
func leftSpine(n *Binary) []*Binary {
	spine := []*Binary{n}
	for {
		l, ok := spine[len(spine)-1].L.(*Binary)
		if !ok {
			return spine
		}
		spine = append(spine, l)
	}
}

// group prints a node in parentheses; it exists only while printing.
type group struct{ Node }

func (g *group) String() string { return "(" + g.Node.String() + ")" }
