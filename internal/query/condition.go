package query

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// A condition is a yes or no over a pass: `count(EXPR) OP N`, the number
// of hosts of a set expression compared with a whole number. It is not a
// statement (a statement is a host set) but its own small production, read
// by cluster gates (docs/actions.md, "Cluster gates"); its set expression
// is any expression of the language.

// gCondition = "count" "(" gOr ")" CmpOp Number .
type gCondition struct {
	Pos  lexer.Position
	Expr *gOr   `parser:"'count' '(' @@ ')'"`
	Op   string `parser:"@('==' | '=' | '!=' | '<=' | '>=' | '<' | '>')"`
	N    string `parser:"@Number"`
}

var conditionParser = sync.OnceValue(func() *participle.Parser[gCondition] {
	return participle.MustBuild[gCondition](parserOptions()...)
})

// Condition is a parsed `count(EXPR) OP N`. Op is one of == != < <= > >=
// (`=` is read as `==`).
type Condition struct {
	Text string
	P    Pos
	Expr Node
	Op   string
	Want uint64
}

// ParseCondition parses `count(EXPR) OP N`. It never panics; every error
// is an *Error with a position.
func ParseCondition(input string) (*Condition, error) {
	if err := precheck(input); err != nil {
		return nil, err
	}
	g, err := conditionParser().ParseString("", input)
	if err != nil {
		return nil, conditionError(parseError(input, err))
	}
	l := lowerer{input: input}
	c := &Condition{Text: input, P: l.pos(g.Pos), Expr: l.or(g.Expr), Op: g.Op}
	if c.Op == "=" {
		c.Op = "=="
	}
	n, perr := strconv.ParseUint(g.N, 10, 64)
	if perr != nil {
		l.fail(g.Pos, "count(…) %s %s: a count compares with a whole number (%s)", g.Op, g.N, conditionShape)
	}
	c.Want = n
	if l.err != nil {
		return nil, l.err
	}
	return c, nil
}

// conditionShape is said after every syntax error of a condition: the
// grammar's own list of tokens reads badly here.
const conditionShape = "a condition is count(EXPR) OP N, OP one of == != < <= > >="

func conditionError(err error) error {
	if e, ok := err.(*Error); ok {
		if i := strings.Index(e.Msg, " (expected"); i >= 0 {
			e.Msg = e.Msg[:i]
		}
		e.Msg += " (" + conditionShape + ")"
	}
	return err
}

// String is the canonical text, which ParseCondition reads back as the
// same condition.
func (c *Condition) String() string {
	return fmt.Sprintf("count(%s) %s %d", c.Expr, c.Op, c.Want)
}

// CheckCondition resolves every name and type of c's expression against
// env's current pass (bindings such as a gate's `this` included).
func CheckCondition(env *Env, c *Condition) error {
	ch := &checker{env: env, input: c.Text}
	return ch.node(c.Expr, env.Snap.Current(), false)
}

// EvalCondition checks and evaluates c: the count of its expression and
// whether the comparison holds.
func EvalCondition(env *Env, c *Condition) (got uint64, ok bool, err error) {
	if err := CheckCondition(env, c); err != nil {
		return 0, false, err
	}
	bm, err := Eval(env, c.Expr, c.Text)
	if err != nil {
		return 0, false, err
	}
	got = bm.GetCardinality()
	return got, c.Holds(got), nil
}

// Holds reports whether a count satisfies the comparison.
func (c *Condition) Holds(got uint64) bool {
	switch c.Op {
	case "==":
		return got == c.Want
	case "!=":
		return got != c.Want
	case "<":
		return got < c.Want
	case "<=":
		return got <= c.Want
	case ">":
		return got > c.Want
	}
	return got >= c.Want
}

// Names lists the set and attribute names c reads from the current pass,
// as Names does for a statement (a binding such as `this` included).
func (c *Condition) Names() []string {
	return Names(&Statement{Text: c.Text, Pipeline: &Pipeline{Expr: c.Expr}})
}
