package query

import "github.com/fleetq/fleetq/internal/fleet"

// The AST is plain data, lowered from the grammar so grammar shapes never
// reach the evaluator. Node is sealed by its unexported marker method.

// Pos is a byte offset and line:column in the statement text.
type Pos struct {
	Offset, Line, Col int
}

// Node is a set-valued expression.
type Node interface {
	Position() Pos
	String() string
	node()
}

// SetRef names a set of the pass (or a binding).
type SetRef struct {
	P    Pos
	Name string
}

// Binary is a set operator: '+', '-', '&', '^'.
type Binary struct {
	P    Pos
	Op   byte
	L, R Node
}

// Not is the complement within the pass's hosts (`not X` = `all - X`).
type Not struct {
	P Pos
	X Node
}

// HostList is a quoted host literal: folded ranges, comma lists, globs.
type HostList struct {
	P       Pos
	Pattern string
}

// At evaluates X in another pass.
type At struct {
	P   Pos
	X   Node
	Ref fleet.PassRef
	Src string // how the reference was written: -1, 42, 2026-11-20T10:00
}

// Operand is what a predicate tests: an attribute, or age(ATTR).
type Operand struct {
	P    Pos
	Attr string
	Age  bool
}

// Literal is a constant in a predicate. Attr is set when the right-hand
// side names another attribute (kernel != observed_kernel).
type Literal struct {
	P    Pos
	Kind fleet.Type // String, Number, Bool; 0 with Attr set
	Str  string
	Num  float64 // numbers and times; durations in seconds
	B    bool
	Dur  bool // written as a duration
	Attr string
	Text string // as written
}

// Compare is `operand OP literal`; Op is one of = != < <= > >= ~ !~.
type Compare struct {
	P     Pos
	Left  Operand
	Op    string
	Right Literal
}

// In is `operand in (v, …)` or `notin`.
type In struct {
	P      Pos
	Left   Operand
	Values []Literal
	Negate bool
}

// Exists is `operand exists`.
type Exists struct {
	P    Pos
	Left Operand
}

func (n *SetRef) Position() Pos   { return n.P }
func (n *Binary) Position() Pos   { return n.P }
func (n *Not) Position() Pos      { return n.P }
func (n *HostList) Position() Pos { return n.P }
func (n *At) Position() Pos       { return n.P }
func (n *Compare) Position() Pos  { return n.P }
func (n *In) Position() Pos       { return n.P }
func (n *Exists) Position() Pos   { return n.P }

func (*SetRef) node()   {}
func (*Binary) node()   {}
func (*Not) node()      {}
func (*HostList) node() {}
func (*At) node()       {}
func (*Compare) node()  {}
func (*In) node()       {}
func (*Exists) node()   {}

// Stage is a pipeline stage.
type Stage interface {
	Position() Pos
	String() string
	stage()
}

// Sample keeps N hosts (or N percent, rounded up) at random; Stable picks
// by a hash of the host name instead, the same hosts on every pass.
type Sample struct {
	P       Pos
	N       float64
	Percent bool
	Stable  bool
}

// Head keeps the first N hosts in canonical (byte) order.
type Head struct {
	P Pos
	N int
}

// Spread keeps at most N hosts per value of Attr.
type Spread struct {
	P    Pos
	Attr string
	N    int
}

// Stratify keeps N hosts of every combination of the attributes' values.
type Stratify struct {
	P     Pos
	Attrs []string
	N     int
}

// Where keeps hosts matching a predicate.
type Where struct {
	P    Pos
	Pred Node
}

// Count turns the set into its size.
type Count struct{ P Pos }

// By turns the set into a table of counts per value of Attr.
type By struct {
	P    Pos
	Attr string
}

// Show turns the set into hosts with attribute columns.
type Show struct {
	P     Pos
	Attrs []string
}

// Split turns the set into N near-equal batches spread across racks.
type Split struct {
	P Pos
	N int
}

func (s *Sample) Position() Pos   { return s.P }
func (s *Head) Position() Pos     { return s.P }
func (s *Spread) Position() Pos   { return s.P }
func (s *Stratify) Position() Pos { return s.P }
func (s *Where) Position() Pos    { return s.P }
func (s *Count) Position() Pos    { return s.P }
func (s *By) Position() Pos       { return s.P }
func (s *Show) Position() Pos     { return s.P }
func (s *Split) Position() Pos    { return s.P }

func (*Sample) stage()   {}
func (*Head) stage()     {}
func (*Spread) stage()   {}
func (*Stratify) stage() {}
func (*Where) stage()    {}
func (*Count) stage()    {}
func (*By) stage()       {}
func (*Show) stage()     {}
func (*Split) stage()    {}

// Pipeline is an expression and its stages.
type Pipeline struct {
	Expr   Node
	Stages []Stage
}

// Statement is one line of the language: a binding or a pipeline to print.
type Statement struct {
	Bind     string // "" unless NAME = …
	BindPos  Pos
	Pipeline *Pipeline
	Text     string // the source text
	other    *reading
}

// reading is the other reading of a statement that starts `NAME =`, kept
// by Parse until Resolve picks one against the pass: the binding of NAME
// (binding true), or the predicate on the attribute NAME. st is nil, and
// err the syntax error, when that reading does not parse.
type reading struct {
	name    string
	binding bool
	st      *Statement
	err     error
}

// resolve picks the reading of a `NAME = …` statement: the predicate when
// isAttr(NAME), else the binding. A reading that does not parse is its
// syntax error; a resolved statement stays as it is.
func (s *Statement) resolve(isAttr func(string) bool) error {
	o := s.other
	if o == nil {
		return nil
	}
	if o.binding == isAttr(o.name) {
		s.other = nil // this reading is the one
		return nil
	}
	if o.err != nil {
		return o.err
	}
	*s = *o.st
	return nil
}
