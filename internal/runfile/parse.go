package runfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/fleetq/fleetq/internal/query"
)

// Line is one statement of a query file; exactly one of Stmt, Save,
// Assert and Watch is set.
type Line struct {
	No     int    // 1-based line number in the file
	Text   string // the line, trimmed
	Stmt   *query.Statement
	Save   string
	Assert *Assertion
	Watch  *Watch
}

// Assertion is an assert line: either a comparison of two sides,
// `assert count(EXPR) OP count(EXPR)` or `assert count(EXPR) OP N`, or,
// with Trend set, `assert [not] rising|falling|stuck(EXPR, STEPS)`.
type Assertion struct {
	Left  Side
	Op    string // < <= > >= == != (or =, read as ==)
	Right Side
	Trend *Trend
}

// Side is one side of a comparison: count(Expr), or the number N when
// Expr is nil.
type Side struct {
	Expr query.Node
	N    uint64
}

// Trend functions.
const (
	Rising  = "rising"  // the count rose in each of the last STEPS pass-to-pass steps
	Falling = "falling" // the count fell in each of them
	Stuck   = "stuck"   // the same non-empty set of hosts in each of them
)

// Trend is `[not] FN(Expr, Steps)`: it reads Steps+1 passes, the current
// one and the Steps before it.
type Trend struct {
	Fn    string
	Expr  query.Node
	Steps int
	Not   bool
}

// Watch is `watch NAME up|down [STEPS]`: the summary marks the set NAME
// when its count moved in direction Dir (the bad one) in each of the last
// Steps pass-to-pass steps (3 unless given).
type Watch struct {
	Name  string
	Dir   string // up or down
	Steps int
}

// MaxSteps bounds the history a trend or watch reads: each step
// evaluates the file in one more pass.
const MaxSteps = 100

// DefaultWatchSteps is how many steps running a watched count must move
// in its bad direction to be marked.
const DefaultWatchSteps = 3

// File is a parsed query file.
type File struct {
	Path  string
	Lines []Line
}

var (
	saveRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^save\s+([A-Za-z_][A-Za-z0-9_.\-]*)\s*$`) })
	watchRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^watch\s+([A-Za-z_][A-Za-z0-9_.\-]*)\s+(up|down)(?:\s+(\d+))?\s*$`)
	})
)

// Parse parses the text of the query file at path. Blank lines and #
// comments are skipped; a line that does not parse is a *query.DefError
// naming path, the line and (for a *query.Error inside) the column.
func Parse(path, text string) (*File, error) {
	f := &File{Path: path}
	for i, raw := range strings.Split(text, "\n") {
		s := strings.TrimSpace(raw)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		l, err := parseLine(s, i+1)
		if err != nil {
			return nil, &query.DefError{File: path, Line: i + 1, Err: err}
		}
		f.Lines = append(f.Lines, l)
	}
	if err := f.checkWatches(); err != nil {
		return nil, err
	}
	return f, nil
}

// keyword reports whether s starts with the directive word kw followed by
// a space, a parenthesis or nothing (so `asserted = …` is a binding).
func keyword(s, kw string) bool {
	if !strings.HasPrefix(s, kw) {
		return false
	}
	rest := s[len(kw):]
	if after := strings.TrimSpace(rest); strings.HasPrefix(after, "=") && !strings.HasPrefix(after, "==") {
		return false // kw = expression: a binding named kw
	}
	return rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '('
}

func parseLine(s string, no int) (Line, error) {
	l := Line{No: no, Text: s}
	switch {
	case keyword(s, "save"):
		m := saveRE().FindStringSubmatch(s)
		if m == nil {
			return l, lineErr(s, 0, "expected save NAME")
		}
		l.Save = m[1]
		return l, nil
	case keyword(s, "assert"):
		a, err := parseAssert(s)
		l.Assert = a
		return l, err
	case keyword(s, "watch"):
		w, err := parseWatch(s)
		l.Watch = w
		return l, err
	}
	st, err := query.Parse(s)
	l.Stmt = st
	return l, err
}

func parseWatch(s string) (*Watch, error) {
	m := watchRE().FindStringSubmatch(s)
	if m == nil {
		return nil, lineErr(s, 0, "expected watch NAME up|down [STEPS]")
	}
	w := &Watch{Name: m[1], Dir: m[2], Steps: DefaultWatchSteps}
	if m[3] != "" {
		n, err := steps(s, strings.LastIndex(s, m[3]), m[3])
		if err != nil {
			return nil, err
		}
		w.Steps = n
	}
	return w, nil
}

// checkWatches: every watch names a binding of the file.
func (f *File) checkWatches() error {
	bound := map[string]bool{}
	for _, l := range f.Lines {
		if l.Stmt != nil && l.Stmt.Bind != "" {
			bound[l.Stmt.Bind] = true
		}
	}
	for _, l := range f.Lines {
		if l.Watch != nil && !bound[l.Watch.Name] {
			return &query.DefError{File: f.Path, Line: l.No,
				Err: lineErr(l.Text, strings.Index(l.Text, l.Watch.Name), "watch %s: no line of the file binds %s (NAME = expression)", l.Watch.Name, l.Watch.Name)}
		}
	}
	return nil
}

// parseAssert parses everything after the word assert.
func parseAssert(s string) (*Assertion, error) {
	off := skipSpace(s, len("assert"))
	if off == len(s) {
		return nil, lineErr(s, off, "expected count(EXPR) OP count(EXPR), count(EXPR) OP NUMBER, or [not] rising|falling|stuck(EXPR, STEPS) after assert")
	}
	if t, ok, err := parseTrend(s, off); ok || err != nil {
		return &Assertion{Trend: t}, err
	}
	left, off, err := parseSide(s, off)
	if err != nil {
		return nil, err
	}
	off = skipSpace(s, off)
	op := opAt(s, off)
	if op == "" {
		return nil, lineErr(s, off, "expected one of < <= > >= == != after %s", strings.TrimSpace(s[len("assert"):off]))
	}
	right, end, err := parseSide(s, skipSpace(s, off+len(op)))
	if err != nil {
		return nil, err
	}
	if end = skipSpace(s, end); end != len(s) {
		return nil, lineErr(s, end, "unexpected %q after the assert", s[end:])
	}
	if left.Expr == nil {
		return nil, lineErr(s, skipSpace(s, len("assert")), "the left side of an assert is count(EXPR)")
	}
	return &Assertion{Left: left, Op: op, Right: right}, nil
}

// parseTrend parses [not] FN(EXPR, STEPS) at off; ok is false, with no
// error, when s does not start a trend there.
func parseTrend(s string, off int) (*Trend, bool, error) {
	t := &Trend{}
	if keyword(s[off:], "not") {
		t.Not = true
		off = skipSpace(s, off+len("not"))
	}
	for _, fn := range []string{Rising, Falling, Stuck} {
		if strings.HasPrefix(s[off:], fn+"(") {
			t.Fn = fn
		}
	}
	if t.Fn == "" {
		if t.Not {
			return nil, false, lineErr(s, off, "expected rising, falling or stuck after assert not")
		}
		return nil, false, nil
	}
	open := off + len(t.Fn)
	end := closeParen(s, open)
	if end < 0 {
		return nil, true, lineErr(s, open, "unbalanced parenthesis: expected %s(EXPR, STEPS)", t.Fn)
	}
	comma := lastTopComma(s, open+1, end)
	if comma < 0 {
		return nil, true, lineErr(s, end, "expected , STEPS: %s(EXPR, STEPS) compares the last STEPS pass-to-pass steps", t.Fn)
	}
	e, err := parseExprAt(s, open+1, comma)
	if err != nil {
		return nil, true, err
	}
	t.Expr = e
	numAt := skipSpace(s, comma+1)
	if t.Steps, err = steps(s, numAt, strings.TrimSpace(s[comma+1:end])); err != nil {
		return nil, true, err
	}
	if rest := skipSpace(s, end+1); rest != len(s) {
		return nil, true, lineErr(s, rest, "unexpected %q after %s(…)", s[rest:], t.Fn)
	}
	return t, true, nil
}

// steps reads a step count at off: 1..MaxSteps.
func steps(s string, off int, text string) (int, error) {
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > MaxSteps {
		return 0, lineErr(s, off, "expected a number of steps from 1 to %d, not %q", MaxSteps, text)
	}
	return n, nil
}

// parseSide parses count(EXPR) or a number at off, returning the offset
// after it.
func parseSide(s string, off int) (Side, int, error) {
	if strings.HasPrefix(s[off:], "count(") {
		open := off + len("count")
		end := closeParen(s, open)
		if end < 0 {
			return Side{}, 0, lineErr(s, open, "unbalanced parenthesis: expected count(EXPR)")
		}
		e, err := parseExprAt(s, open+1, end)
		return Side{Expr: e}, end + 1, err
	}
	end := off
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == off {
		return Side{}, 0, lineErr(s, off, "expected count(EXPR) or a number")
	}
	n, err := strconv.ParseUint(s[off:end], 10, 64)
	if err != nil {
		return Side{}, 0, lineErr(s, off, "%s: number out of range", s[off:end])
	}
	return Side{N: n}, end, nil
}

// parseExprAt parses s[from:to], the inside of the parentheses at from-1
// and to, as a set expression whose positions, and errors, are columns of
// the whole line s. It is parsed with its parentheses, so that
// count(lifecycle = "dead") is a predicate, not a binding.
func parseExprAt(s string, from, to int) (query.Node, error) {
	if strings.TrimSpace(s[from:to]) == "" {
		return nil, lineErr(s, from, "expected a set expression")
	}
	e, err := query.ParseExpr(strings.Repeat(" ", from-1) + "(" + s[from:to] + ")")
	if qe, ok := err.(*query.Error); ok {
		c := *qe
		c.Input = s
		return nil, &c
	}
	return e, err
}

func opAt(s string, off int) string {
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">", "="} {
		if strings.HasPrefix(s[off:], op) {
			return op
		}
	}
	return ""
}

func skipSpace(s string, off int) int {
	for off < len(s) && (s[off] == ' ' || s[off] == '\t') {
		off++
	}
	return off
}

// closeParen returns the index of the parenthesis closing the one at
// open, skipping quoted text, or -1.
func closeParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			if i = closeQuote(s, i); i < 0 {
				return -1
			}
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

func closeQuote(s string, open int) int {
	for i := open + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case s[open]:
			return i
		}
	}
	return -1
}

// lastTopComma is the index of the last comma of s[from:to] outside
// parentheses and quotes, or -1.
func lastTopComma(s string, from, to int) int {
	depth, last := 0, -1
	for i := from; i < to; i++ {
		switch s[i] {
		case '"', '\'':
			if i = closeQuote(s, i); i < 0 || i >= to {
				return -1
			}
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				last = i
			}
		}
	}
	return last
}

// lineErr is a *query.Error at byte offset off of line s, so the command
// prints FILE:LINE:COL and a caret under the column.
func lineErr(s string, off int, format string, args ...any) error {
	return &query.Error{Pos: query.Pos{Offset: off, Line: 1, Col: off + 1}, Msg: fmt.Sprintf(format, args...), Input: s}
}

// Saves reports whether f has a save line, so the caller evaluates it in
// a write transaction and stores what it saves there.
func (f *File) Saves() bool {
	for _, l := range f.Lines {
		if l.Save != "" {
			return true
		}
	}
	return false
}

// names are the bindings and sets l uses in the current pass.
func (l *Line) names() []string {
	expr := func(nodes ...query.Node) []string {
		var out []string
		for _, n := range nodes {
			if n != nil {
				out = append(out, query.Names(&query.Statement{Pipeline: &query.Pipeline{Expr: n}})...)
			}
		}
		return out
	}
	switch {
	case l.Save != "":
		return []string{l.Save}
	case l.Watch != nil:
		return nil
	case l.Assert != nil && l.Assert.Trend != nil:
		return expr(l.Assert.Trend.Expr)
	case l.Assert != nil:
		return expr(l.Assert.Left.Expr, l.Assert.Right.Expr)
	case l.Stmt != nil:
		return query.Names(l.Stmt)
	}
	return nil
}

// binds is the name l binds or saves, if any.
func (l *Line) binds() string {
	if l.Stmt != nil && l.Stmt.Bind != "" {
		return l.Stmt.Bind
	}
	return l.Save
}

// compare reports whether l OP r holds.
func compare(l uint64, op string, r uint64) bool {
	switch op {
	case "<":
		return l < r
	case "<=":
		return l <= r
	case ">":
		return l > r
	case ">=":
		return l >= r
	case "!=":
		return l != r
	}
	return l == r
}
