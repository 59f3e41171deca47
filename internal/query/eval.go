package query

import (
	"context"
	"math/rand/v2"
	"regexp"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/setops"
)

// Env is what a statement is evaluated in.
type Env struct {
	Ctx  context.Context
	Snap fleet.Snapshot
	// Bindings are session sets (NAME = …), by name. Run adds to it.
	Bindings map[string]*roaring.Bitmap
	// Seed seeds sample, spread, stratify and split. The caller picks it
	// (random unless --seed) and reports it so a decision can be replayed.
	Seed uint64
	// Trace, when not nil, is called with every node's result as soon as
	// it is computed (explain, why). It must not modify or keep bm: a
	// caller that keeps only what it needs (a size, one host's
	// membership) lets each intermediate set go.
	Trace func(n Node, bm *roaring.Bitmap)
	// Warnings collects notes for the operator that are not errors (a
	// compared value no host has, when a near one exists).
	Warnings []string
}

// ResultKind says what a statement produced.
type ResultKind uint8

// Result kinds.
const (
	HostsResult   ResultKind = iota + 1 // a host set
	CountResult                         // | count
	GroupsResult                        // | by ATTR
	ShowResult                          // | show ATTR,…
	BatchesResult                       // | split N
)

// Result is the value of a statement.
type Result struct {
	Kind    ResultKind
	Hosts   *roaring.Bitmap // hosts (also the rows of show, the union of batches)
	Count   uint64
	Groups  []GroupCount
	Columns []string // show
	// ColumnAttrs are the attributes of Columns, read from the pass (show).
	ColumnAttrs []fleet.Attr
	Batches     []*roaring.Bitmap // split
	// Random is set when a stage drew random numbers from Env.Seed.
	Random bool
	Bound  string // the binding name, for NAME = …
	// StageSizes, when tracing, is the host count after each stage.
	StageSizes []uint64
}

// GroupCount is one row of `by ATTR`.
type GroupCount struct {
	Value string
	Count uint64
}

// Run checks and evaluates a statement. A binding stores its host set in
// env.Bindings.
func Run(env *Env, st *Statement) (*Result, error) {
	if err := Check(env, st); err != nil {
		return nil, err
	}
	ev := &evaluator{env: env, input: st.Text}
	r, err := ev.pipeline(st.Pipeline)
	if err != nil {
		return nil, err
	}
	if st.Bind != "" {
		if r.Kind != HostsResult {
			return nil, errAt(st.BindPos, st.Text, "%s = …: a binding needs a host set, not a %s", st.Bind, kindName(r.Kind))
		}
		if env.Bindings == nil {
			env.Bindings = map[string]*roaring.Bitmap{}
		}
		env.Bindings[st.Bind] = Detach(r.Hosts)
		r.Bound = st.Bind
	}
	return r, nil
}

// Detach returns a copy of bm that shares no memory with stored bytes, so
// it stays valid after the read transaction that produced it ends (session
// bindings outlive their statement's transaction).
func Detach(bm *roaring.Bitmap) *roaring.Bitmap {
	c := bm.Clone()
	c.CloneCopyOnWriteContainers()
	return c
}

// Eval evaluates a checked set expression in the current pass.
func Eval(env *Env, n Node, input string) (*roaring.Bitmap, error) {
	ev := &evaluator{env: env, input: input}
	return ev.eval(n, env.Snap.Current())
}

func kindName(k ResultKind) string {
	return map[ResultKind]string{CountResult: "count", GroupsResult: "table", ShowResult: "table", BatchesResult: "list of batches"}[k]
}

type evaluator struct {
	env   *Env
	input string
	rng   *rand.Rand
}

func (ev *evaluator) fail(p Pos, format string, args ...any) error {
	return errAt(p, ev.input, format, args...)
}

func (ev *evaluator) random() *rand.Rand {
	if ev.rng == nil {
		ev.rng = rand.New(rand.NewPCG(ev.env.Seed, ev.env.Seed^0x9e3779b97f4a7c15))
	}
	return ev.rng
}

func (ev *evaluator) pipeline(p *Pipeline) (*Result, error) {
	pass := ev.env.Snap.Current()
	hosts, err := ev.eval(p.Expr, pass)
	if err != nil {
		return nil, err
	}
	r := &Result{Kind: HostsResult, Hosts: hosts}
	for _, s := range p.Stages {
		if err := ev.stage(s, r, pass); err != nil {
			return nil, err
		}
		if ev.env.Trace != nil {
			r.StageSizes = append(r.StageSizes, r.Hosts.GetCardinality())
		}
	}
	r.Random = ev.rng != nil
	return r, nil
}

func (ev *evaluator) eval(n Node, pass fleet.Pass) (*roaring.Bitmap, error) {
	if ev.env.Ctx != nil && ev.env.Ctx.Err() != nil {
		return nil, ErrCanceled
	}
	var bm *roaring.Bitmap
	var err error
	switch n := n.(type) {
	case *SetRef:
		bm, err = ev.setRef(n, pass)
	case *Binary:
		bm, err = ev.binary(n, pass)
	case *Not:
		bm, err = ev.not(n, pass)
	case *HostList:
		bm, err = ev.hostList(n, pass)
	case *At:
		bm, err = ev.at(n)
	case *Compare:
		bm, err = ev.compare(n, pass)
	case *In:
		bm, err = ev.in(n, pass)
	case *Exists:
		bm, err = ev.exists(n, pass)
	default:
		err = ev.fail(n.Position(), "internal: unknown node %T", n)
	}
	if err == nil && ev.env.Trace != nil {
		ev.env.Trace(n, bm)
	}
	return bm, err
}

func (ev *evaluator) exists(n *Exists, pass fleet.Pass) (*roaring.Bitmap, error) {
	a, err := ev.attrOf(n.Left, pass)
	if err != nil {
		return nil, err
	}
	return a.Present(), nil
}

func (ev *evaluator) setRef(n *SetRef, pass fleet.Pass) (*roaring.Bitmap, error) {
	if bm, ok := ev.env.Bindings[n.Name]; ok {
		return bm, nil
	}
	if bm, ok, err := readSet(pass, n.P, ev.input, n.Name); ok || err != nil {
		return bm, err
	}
	return nil, ev.fail(n.P, "%w: no set %q in pass %d", ErrUnknownName, n.Name, pass.ID())
}

func (ev *evaluator) binary(n *Binary, pass fleet.Pass) (*roaring.Bitmap, error) {
	l, err := ev.eval(n.L, pass)
	if err != nil {
		return nil, err
	}
	r, err := ev.eval(n.R, pass)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case '+':
		return setops.Union(l, r), nil
	case '-':
		return setops.Difference(l, r), nil
	case '&':
		return setops.Intersection(l, r), nil
	}
	return setops.SymDiff(l, r), nil
}

func (ev *evaluator) not(n *Not, pass fleet.Pass) (*roaring.Bitmap, error) {
	x, err := ev.eval(n.X, pass)
	if err != nil {
		return nil, err
	}
	return setops.Difference(pass.All(), x), nil
}

func (ev *evaluator) at(n *At) (*roaring.Bitmap, error) {
	p, err := ev.env.Snap.Resolve(n.Ref)
	if err != nil {
		return nil, ev.fail(n.P, "%w", err)
	}
	return ev.eval(n.X, p)
}

// attrOf reads an attribute the checker found.
func (ev *evaluator) attrOf(o Operand, pass fleet.Pass) (fleet.Attr, error) {
	return ev.attrAt(o.P, o.Attr, pass)
}

func (ev *evaluator) attrAt(p Pos, name string, pass fleet.Pass) (fleet.Attr, error) {
	a, ok, err := readAttr(pass, p, ev.input, name)
	if err == nil && !ok {
		err = ev.fail(p, "%w: no attribute %q in pass %d", ErrUnknownName, name, pass.ID())
	}
	return a, err
}

// compare evaluates a comparison. Hosts without the attribute match only
// the negative operators (!=, !~), as Kubernetes label selectors do.
func (ev *evaluator) compare(n *Compare, pass fleet.Pass) (*roaring.Bitmap, error) {
	a, err := ev.attrOf(n.Left, pass)
	if err != nil {
		return nil, err
	}
	if n.Right.Attr != "" {
		return ev.attrVsAttr(n, a, pass)
	}
	if n.Left.Age {
		return ev.age(n, a, pass), nil
	}
	negative := n.Op == "!=" || n.Op == "!~"
	op := n.Op
	if negative {
		op = map[string]string{"!=": "=", "!~": "~"}[op]
	}
	keep, err := ev.predicate(op, n.Right)
	if err != nil {
		return nil, err
	}
	hit := filter(a, op, n.Right, keep)
	if negative {
		return setops.Difference(pass.All(), hit), nil
	}
	return hit, nil
}

// predicate returns the value test for a positive operator.
func (ev *evaluator) predicate(op string, lit Literal) (func(fleet.Value) bool, error) {
	if op == "~" {
		re, err := regexp.Compile(lit.Str)
		if err != nil {
			return nil, ev.fail(lit.P, "bad regular expression: %v", err)
		}
		return func(v fleet.Value) bool { return re.MatchString(v.Str) }, nil
	}
	want := literalValue(lit)
	return func(v fleet.Value) bool { return !isNaN(v) && holds(op, fleet.CompareValues(v, want)) }, nil
}

// isNaN reports a NaN number (a Prometheus sample can be NaN): it
// satisfies no comparison, so only the negative operators match it.
func isNaN(v fleet.Value) bool { return v.Type == fleet.Number && v.Num != v.Num }

func literalValue(lit Literal) fleet.Value {
	switch lit.Kind {
	case fleet.String:
		return fleet.Value{Type: fleet.String, Str: lit.Str}
	case fleet.Bool:
		return fleet.Value{Type: fleet.Bool, Bool: lit.B}
	}
	return fleet.Value{Type: fleet.Number, Num: lit.Num}
}

func holds(op string, cmp int) bool {
	switch op {
	case "=":
		return cmp == 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// age compares the age of a sample (or of a time value) at the pass's
// creation time, never the wall clock.
func (ev *evaluator) age(n *Compare, a fleet.Attr, pass fleet.Pass) *roaring.Bitmap {
	now := pass.Created()
	limit := n.Right.Num
	test := func(ageSec float64) bool {
		switch n.Op {
		case "!=":
			return ageSec != limit
		case "=":
			return ageSec == limit
		}
		return holds(n.Op, fleet.CompareValues(fleet.Value{Type: fleet.Number, Num: ageSec}, fleet.Value{Type: fleet.Number, Num: limit}))
	}
	if a.Sampled() {
		nowMs := now.UnixMilli()
		return a.FilterSampleTime(func(ms int64) bool { return test(float64(nowMs-ms) / 1000) })
	}
	return a.Filter(func(v fleet.Value) bool { return test(float64(now.Unix()) - v.Num) })
}

func (ev *evaluator) attrVsAttr(n *Compare, a fleet.Attr, pass fleet.Pass) (*roaring.Bitmap, error) {
	b, err := ev.attrAt(n.Right.P, n.Right.Attr, pass)
	if err != nil {
		return nil, err
	}
	both := setops.Intersection(a.Present(), b.Present())
	op := n.Op
	if op == "!=" {
		op = "="
	}
	hit := roaring.New()
	it := both.Iterator()
	for it.HasNext() {
		id := it.Next()
		va, _ := a.Value(id)
		vb, _ := b.Value(id)
		if holds(op, fleet.CompareValues(va, vb)) {
			hit.Add(id)
		}
	}
	if n.Op == "!=" {
		return setops.Difference(pass.All(), hit), nil
	}
	return hit, nil
}

func (ev *evaluator) in(n *In, pass fleet.Pass) (*roaring.Bitmap, error) {
	a, err := ev.attrOf(n.Left, pass)
	if err != nil {
		return nil, err
	}
	want := make([]fleet.Value, len(n.Values))
	for i, v := range n.Values {
		want[i] = literalValue(v)
		if a.Type() == fleet.String && v.Kind == fleet.Number {
			want[i] = fleet.Value{Type: fleet.String, Str: v.Text}
		}
	}
	hit := a.Filter(func(v fleet.Value) bool {
		for _, w := range want {
			if fleet.CompareValues(v, w) == 0 {
				return true
			}
		}
		return false
	})
	if n.Negate {
		return setops.Difference(pass.All(), hit), nil
	}
	return hit, nil
}
