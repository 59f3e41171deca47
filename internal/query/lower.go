package query

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/fleetq/fleetq/internal/fleet"
)

// Parse parses one statement into its AST. It never panics; every error
// is an *Error with a position.
//
// A statement that starts `NAME =` reads two ways: a binding of NAME, or,
// when NAME is an attribute of the pass, the predicate an operator meant
// (`role = "web"`, `node_load1 = 5`). Only the pass can tell, so Parse
// keeps both readings and Check picks one (see Resolve); until then Bind
// and Pipeline are the binding reading, or the predicate reading when only
// that one parses. A syntax error of the reading Check picks is reported
// by Check. Parse itself fails when neither reading parses, with the error
// of the one that got further into the text (the binding's on a tie).
func Parse(input string) (*Statement, error) {
	if err := precheck(input); err != nil {
		return nil, err
	}
	bind, bindErr := parseBinding(input)
	name, ok := assignHead(input)
	if !ok {
		return bind, bindErr
	}
	pred, predErr := parsePredicate(input)
	switch {
	case bindErr == nil:
		bind.other = &reading{name: name, st: pred, err: predErr}
		return bind, nil
	case predErr == nil:
		pred.other = &reading{name: name, binding: true, err: bindErr}
		return pred, nil
	}
	return nil, further(bindErr, predErr)
}

// parseBinding parses input as the grammar's statement: `NAME = …` is a
// binding.
func parseBinding(input string) (*Statement, error) {
	g, err := statementParser().ParseString("", input)
	if err != nil {
		return nil, parseError(input, err)
	}
	l := lowerer{input: input}
	st := &Statement{Text: input, Pipeline: l.pipeline(g.Pipe)}
	if g.Bind != nil {
		st.Bind, st.BindPos = *g.Bind, l.pos(g.Pos)
	}
	if l.err != nil {
		return nil, l.err
	}
	return st, nil
}

// parsePredicate parses input as a pipeline that starts with the
// predicate `NAME = …`.
func parsePredicate(input string) (*Statement, error) {
	g, err := pipelineParser().ParseString("", input)
	if err != nil {
		return nil, parseError(input, err)
	}
	l := lowerer{input: input}
	st := &Statement{Text: input, Pipeline: l.pipeline(g)}
	if l.err != nil {
		return nil, l.err
	}
	return st, nil
}

// further is the error of the reading that got further into the text, a
// on a tie.
func further(a, b error) error {
	var ea, eb *Error
	if errors.As(a, &ea) && errors.As(b, &eb) && eb.Pos.Offset > ea.Pos.Offset {
		return b
	}
	return a
}

// assignHead returns NAME when input starts `NAME =`. It decides before
// parsing: parsed as a binding only, `node_load1 = 5` would fail on the 5
// and never reach the predicate.
func assignHead(input string) (string, bool) {
	lex, err := queryLexer.Lex("", strings.NewReader(input))
	if err != nil {
		return "", false
	}
	var toks []lexer.Token
	for len(toks) < 2 {
		tok, err := lex.Next()
		if err != nil || tok.EOF() {
			return "", false
		}
		if tok.Type != symbols["Whitespace"] && tok.Type != symbols["Comment"] {
			toks = append(toks, tok)
		}
	}
	if toks[0].Type != symbols["Ident"] || toks[1].Value != "=" {
		return "", false
	}
	return toks[0].Value, true
}

var symbols = queryLexer.Symbols()

// parseNoAttrs parses input as if no name were an attribute: `NAME = …`
// is a binding, as in a definitions file.
func parseNoAttrs(input string) (*Statement, error) {
	st, err := Parse(input)
	if err != nil {
		return nil, err
	}
	if err := st.resolve(func(string) bool { return false }); err != nil {
		return nil, err
	}
	return st, nil
}

// ParseExpr parses a bare set expression with no stages and no binding.
func ParseExpr(input string) (Node, error) {
	st, err := parseNoAttrs(input)
	if err != nil {
		return nil, err
	}
	switch {
	case st.Bind != "":
		return nil, errAt(st.BindPos, input, "expected a set expression, without a binding")
	case len(st.Pipeline.Stages) > 0:
		return nil, errAt(st.Pipeline.Stages[0].Position(), input, "expected a set expression, without pipeline stages")
	}
	return st.Pipeline.Expr, nil
}

// precheck rejects what the grammar would reject with a worse message, or
// only after a long time: nesting beyond MaxDepth (parentheses and runs of
// `not`), more than MaxTokens tokens, and a pipeline stage inside
// parentheses.
func precheck(input string) error {
	lex, err := queryLexer.Lex("", strings.NewReader(input))
	if err != nil {
		return parseError(input, err)
	}
	depth, nots, n := 0, 0, 0
	for {
		tok, err := lex.Next()
		if err != nil {
			return parseError(input, err)
		}
		if tok.EOF() {
			return nil
		}
		if tok.Type == symbols["Whitespace"] || tok.Type == symbols["Comment"] {
			continue
		}
		at := Pos{Offset: tok.Pos.Offset, Line: tok.Pos.Line, Col: tok.Pos.Column}
		if n++; n > MaxTokens {
			return errAt(at, input, "%w (more than %d tokens)", ErrTooLong, MaxTokens)
		}
		if tok.Value == "not" && tok.Type == symbols["Ident"] {
			nots++
		} else {
			nots = 0
		}
		switch {
		case tok.Type == symbols["Op"] && tok.Value == "(":
			depth++
		case tok.Type == symbols["Op"] && tok.Value == ")":
			depth--
		case tok.Type == symbols["Op"] && tok.Value == "|" && depth > 0:
			return errAt(at, input, "a pipeline stage (|) is only allowed at the top level, not inside parentheses")
		}
		if depth+nots > MaxDepth {
			return errAt(at, input, "%w (more than %d levels)", ErrTooDeep, MaxDepth)
		}
	}
}

func parseError(input string, err error) error {
	var perr participle.Error
	if errors.As(err, &perr) {
		p := perr.Position()
		return errAt(posAt(input, p.Offset), input, "%s", friendly(perr.Message()))
	}
	return errAt(Pos{Line: 1, Col: 1}, input, "%v", err)
}

// friendly rewrites participle's messages into the words an operator uses:
// token kinds, and grammar productions (which are not the operator's words).
var friendly = strings.NewReplacer(
	"<ident>", "a name",
	"<string>", "a quoted string",
	"<number>", "a number",
	"<duration>", "a duration",
	"<percent>", "a percentage",
	"<timestamp>", "a time",
	`unexpected token "<EOF>"`, "unexpected end of input",
	"lexer: invalid input text", "unexpected text",
	"GPipeline", "a set expression",
	"GStatement", "a set expression",
	"GOr", "a set expression",
	"GAnd", "a set expression",
	"GNot", "a set expression",
	"GExpr", "a set expression",
	"GTerm", `a set name, a quoted host list, a predicate or "("`,
	"GPrimary", `a set name, a quoted host list, a predicate or "("`,
	"GPred", "a predicate",
	"GOperand", "an attribute name",
	"GValue", "a value",
	"GRef", "a pass (-1, 42 or a time)",
	"GStage", "a pipeline stage (sample, head, spread, stratify, where, count, by, show or split)",
).Replace

type lowerer struct {
	input string
	err   error
}

// pos converts a token position. The lexer already counted lines and
// columns (in runes, as posAt does); recounting from the start of the input
// for every node made lowering quadratic in the input size.
func (l *lowerer) pos(p lexer.Position) Pos {
	return Pos{Offset: p.Offset, Line: p.Line, Col: p.Column}
}

func (l *lowerer) fail(p lexer.Position, format string, args ...any) {
	if l.err == nil {
		l.err = errAt(l.pos(p), l.input, format, args...)
	}
}

func (l *lowerer) pipeline(g *gPipeline) *Pipeline {
	p := &Pipeline{Expr: l.or(g.Expr)}
	for _, s := range g.Stages {
		p.Stages = append(p.Stages, l.stage(s))
	}
	return p
}

func (l *lowerer) or(g *gOr) Node {
	n := l.and(g.Terms[0])
	for _, t := range g.Terms[1:] {
		n = &Binary{P: n.Position(), Op: '+', L: n, R: l.and(t)}
	}
	return n
}

func (l *lowerer) and(g *gAnd) Node {
	n := l.not(g.Terms[0])
	for _, t := range g.Terms[1:] {
		n = &Binary{P: n.Position(), Op: '&', L: n, R: l.not(t)}
	}
	return n
}

func (l *lowerer) not(g *gNot) Node {
	if g.Not != nil {
		return &Not{P: l.pos(g.Pos), X: l.not(g.Not)}
	}
	return l.expr(g.Expr)
}

func (l *lowerer) expr(g *gExpr) Node {
	n := l.term(g.First)
	for _, r := range g.Rest {
		n = &Binary{P: l.pos(r.Pos), Op: r.Op[0], L: n, R: l.term(r.Term)}
	}
	return n
}

func (l *lowerer) term(g *gTerm) Node {
	n := l.primary(g.Primary)
	if g.At == nil {
		return n
	}
	ref, src := l.ref(g.At)
	return &At{P: l.pos(g.At.Pos), X: n, Ref: ref, Src: src}
}

func (l *lowerer) ref(g *gRef) (fleet.PassRef, string) {
	if g.Time != nil {
		t, err := parseTime(*g.Time)
		if err != nil {
			l.fail(g.Pos, "bad time %q: %v", *g.Time, err)
		}
		return fleet.PassRef{At: t}, *g.Time
	}
	n, err := strconv.ParseInt(*g.Num, 10, 64)
	if err != nil {
		l.fail(g.Pos, "bad pass number %q", *g.Num)
	}
	if g.Minus {
		if n == 0 {
			return fleet.PassRef{}, "-0"
		}
		return fleet.PassRef{Rel: -int(n)}, "-" + *g.Num
	}
	if n == 0 {
		l.fail(g.Pos, "pass ids start at 1 (use @-1 for the previous pass)")
	}
	return fleet.PassRef{ID: n}, *g.Num
}

func (l *lowerer) primary(g *gPrimary) Node {
	switch {
	case g.Group != nil:
		return l.or(g.Group)
	case g.Literal != nil:
		return l.hostLiteral(g)
	case g.Pred != nil:
		return l.pred(g.Pred)
	case g.Rollout != nil:
		// rollout:r3/w2 names a set the snapshot resolves from the ledger.
		return &SetRef{P: l.pos(g.Pos), Name: *g.Rollout}
	case g.Week != nil:
		// week:w1/s4 names a maintenance week's step the same way.
		return &SetRef{P: l.pos(g.Pos), Name: *g.Week}
	}
	return &SetRef{P: l.pos(g.Pos), Name: *g.Name}
}

func (l *lowerer) pred(g *gPred) Node {
	op := l.operand(g.Operand)
	p := l.pos(g.Pos)
	switch {
	case g.Exists:
		return &Exists{P: p, Left: op}
	case g.InOp != "":
		in := &In{P: p, Left: op, Negate: g.InOp == "notin"}
		for _, v := range g.List {
			lit := l.value(v)
			if lit.Attr != "" {
				lit = Literal{P: lit.P, Kind: fleet.String, Str: lit.Attr, Text: lit.Attr}
			}
			in.Values = append(in.Values, lit)
		}
		return in
	}
	o := g.Op
	if o == "==" {
		o = "="
	}
	return &Compare{P: p, Left: op, Op: o, Right: l.value(g.Value)}
}

func (l *lowerer) operand(g *gOperand) Operand {
	if g.Name != nil {
		return Operand{P: l.pos(g.Pos), Attr: *g.Name}
	}
	if *g.Func != "age" {
		l.fail(g.Pos, "unknown function %q (expected age(METRIC))", *g.Func)
	}
	return Operand{P: l.pos(g.Pos), Attr: *g.Arg, Age: true}
}

func (l *lowerer) value(g *gValue) Literal {
	lit := Literal{P: l.pos(g.Pos)}
	switch {
	case g.Str != nil:
		lit.Kind, lit.Str, lit.Text = fleet.String, unquote(*g.Str), *g.Str
	case g.Num != nil:
		lit.Kind, lit.Text = fleet.Number, *g.Num
		lit.Num, _ = strconv.ParseFloat(*g.Num, 64)
	case g.Duration != nil:
		d, err := parseDuration(*g.Duration)
		if err != nil {
			l.fail(g.Pos, "bad duration %q", *g.Duration)
		}
		lit.Kind, lit.Num, lit.Dur, lit.Text = fleet.Number, d.Seconds(), true, *g.Duration
	case g.Time != nil:
		t, err := parseTime(*g.Time)
		if err != nil {
			l.fail(g.Pos, "bad time %q: %v", *g.Time, err)
		}
		lit.Kind, lit.Num, lit.Text = fleet.Time, float64(t.Unix()), *g.Time
	case *g.Ident == "true" || *g.Ident == "false":
		lit.Kind, lit.B, lit.Text = fleet.Bool, *g.Ident == "true", *g.Ident
	default:
		lit.Attr, lit.Text = *g.Ident, *g.Ident
	}
	if g.Minus {
		lit.Num, lit.Text = -lit.Num, "-"+lit.Text
	}
	return lit
}

func unquote(s string) string {
	if strings.HasPrefix(s, "'") {
		return s[1 : len(s)-1]
	}
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s[1 : len(s)-1]
}

// parseDuration accepts Go durations plus d (days) and w (weeks).
func parseDuration(s string) (time.Duration, error) {
	mult := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		mult = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		mult = 7 * 24 * time.Hour
	}
	if mult == 0 {
		return time.ParseDuration(s)
	}
	f, err := strconv.ParseFloat(s[:len(s)-1], 64)
	return time.Duration(f * float64(mult)), err
}

// parseTime accepts a date, a date and minute, or RFC 3339; times without
// a zone are UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("expected YYYY-MM-DD[THH:MM[:SS][Z|±HH:MM]]")
}

func (l *lowerer) stage(g *gStage) Stage {
	p := l.pos(g.Pos)
	switch {
	case g.Sample != nil:
		s := &Sample{P: p, Stable: g.Stable}
		txt := *g.Sample
		if strings.HasSuffix(txt, "%") {
			s.Percent, txt = true, strings.TrimSuffix(txt, "%")
		}
		if s.Percent {
			s.N, _ = strconv.ParseFloat(txt, 64)
		} else {
			s.N = float64(l.count(g.Pos, txt))
		}
		if s.Percent && s.N > 100 {
			l.fail(g.Pos, "sample %s%%: a percentage is at most 100", txt)
		}
		if s.Stable && !s.Percent {
			l.fail(g.Pos, "sample N stable needs a percentage (sample 5%% stable)")
		}
		return s
	case g.Head != nil:
		return &Head{P: p, N: l.count(g.Pos, *g.Head)}
	case g.Spread != nil:
		return &Spread{P: p, Attr: *g.Spread, N: l.count(g.Pos, *g.SpreadN)}
	case g.Stratify != nil:
		return &Stratify{P: p, Attrs: g.Stratify, N: l.count(g.Pos, *g.StratN)}
	case g.Where != nil:
		return &Where{P: p, Pred: l.or(g.Where)}
	case g.Count:
		return &Count{P: p}
	case g.By != nil:
		return &By{P: p, Attr: *g.By}
	case g.Show != nil:
		return &Show{P: p, Attrs: g.Show}
	}
	n := l.count(g.Pos, *g.Split)
	if n == 0 {
		l.fail(g.Pos, "split needs at least 1 batch")
	}
	return &Split{P: p, N: n}
}

// count parses a whole, non-negative stage argument.
func (l *lowerer) count(p lexer.Position, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<31 {
		l.fail(p, "expected a whole number, got %q", s)
	}
	return n
}
