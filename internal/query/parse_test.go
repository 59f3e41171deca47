package query

import (
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/grammar.ebnf and the expected output in testdata/*.txt")

// parseTests: input, canonical String() (empty: same as input), and the
// exact error. Every success is also a printer round trip.
var parseTests = []struct {
	in, want, err string
}{
	// Set operators, equal precedence, left associative.
	{in: "a"},
	{in: "a + b"},
	{in: "a - b"},
	{in: "a & b"},
	{in: "a ^ b"},
	{in: "all - a & b"},
	{in: "(all - a) & b", want: "all - a & b"},
	{in: "a - (b & c)"},
	{in: "a+b&c^d", want: "a + b & c ^ d"},
	{in: "a -b", want: "a - b"},
	{in: "a- b", want: "a - b"},
	{in: "a\n- b", want: "a - b"},
	{in: "((a))", want: "a"},
	{in: "a - (b - (c - d))"},
	{in: "a # trailing comment", want: "a"},
	// Names: letters, digits, _, . and -; a-b is one name.
	{in: "dead-reboot"},
	{in: "dead-reboot - b"},
	{in: "hdfs.state_x-1.y"},
	{in: "a.b.c - d_e"},
	// Rollout waves, resolved from the ledger by the snapshot.
	{in: "rollout:r3/w2"},
	{in: "rollout:r3"},
	{in: "rollout:kernel68/w0 - dead"},
	{in: "rollout:r1/w1@-1"},
	{in: "rollout:r1/w1&dead", want: "rollout:r1/w1 & dead"},
	// Maintenance week steps, resolved the same way.
	{in: "week:w1/s4"},
	{in: "week:smf1-kernel/unslotted - dead"},
	{in: "week:w1&dead", want: "week:w1 & dead"},
	{in: "week - dead"},
	// Host literals, always quoted.
	{in: `"dn[0001-0100].smf1"`},
	{in: `"web[1-3,7]-[a-b]"`},
	{in: `"web-01.smf1,web-02.smf1"`},
	{in: `"dn*.smf1"`},
	{in: `'dn*.smf1'`, want: `"dn*.smf1"`},
	{in: `all - "dn[0001-0100]*"`},
	{in: `"web[1-2]?[a-b],db*"`},
	{in: `"n[001-010]"`},
	{in: `"a" + 'b' - c`, want: `"a" + "b" - c`},
	// Predicates.
	{in: `role = "hadoop-worker" + b`},
	{in: `role == "x"`, want: `(role = "x")`},
	{in: `role != "x" & b`},
	{in: `x < 5`},
	{in: `x <= 5.5`},
	{in: `x > -5`},
	{in: `x >= 1e3`},
	{in: `x > - 5`, want: `x > -5`},
	{in: `cluster ~ "^smf1-"`},
	{in: `cluster !~ "^smf1-"`},
	{in: `cluster ~ 'a"b'`, want: `cluster ~ "a\"b"`},
	{in: `hdfs.state in (dead, decommissioned)`, want: `hdfs.state in ("dead", "decommissioned")`},
	{in: `hdfs.state notin (dead)`, want: `hdfs.state notin ("dead")`},
	{in: `x in (1, "a", -2, 3m, true, 2026-01-01)`},
	{in: `ticket exists`},
	{in: `age(up) < 10m`},
	{in: `age(up) >= 1.5h - b`},
	{in: `boot < 2026-11-20T10:00:30Z`},
	{in: `kernel != observed_kernel`},
	{in: `b + role = "x"`},
	// not, and, or (inside parentheses).
	{in: `(not a)`},
	{in: `(not a and b or c)`, want: `(not a) & b + c`},
	{in: `(a or b and c)`, want: `a + (b & c)`}, // and binds tighter than or
	{in: `((a or b) and c)`, want: `a + b & c`},
	{in: `(not a & b)`, want: `(not (a & b))`},
	{in: `(not not a)`, want: `(not (not a))`},
	{in: `(role = "a" or role = "b") and rack = "r1"`, want: `(role = "a" + role = "b" & rack = "r1")`},
	// Time travel.
	{in: `name@-1`},
	{in: `name@42`},
	{in: `name@2026-11-20T10:00`},
	{in: `name@2026-11-20`},
	{in: `name @ -1`, want: `name@-1`},
	{in: `name@-0`},
	{in: `(a - b)@-1`},
	{in: `dead - dead@-1`},
	{in: `((a@-1))@-2`, want: `(a@-1)@-2`},
	{in: `(role = "x")@-1`},
	// Pipeline stages.
	{in: `a | sample 5`},
	{in: `a | sample 5%`},
	{in: `a | sample 2.5%`},
	{in: `a | sample 5% stable`},
	{in: `a | sample 1000000`},
	{in: `a | head 3`},
	{in: `a | spread rack 2`},
	{in: `a | stratify rack,role 1`},
	{in: `a | stratify rack , role 1`, want: `a | stratify rack,role 1`},
	{in: `a | where role = "x"`},
	{in: `a | where (role = "x" or b)`, want: `a | where role = "x" + b`},
	{in: `a | count`},
	{in: `a | by rack`},
	{in: `a | show role,rack`},
	{in: `a | split 3`},
	{in: `a|sample 5|head 2|count`, want: `a | sample 5 | head 2 | count`},
	// Bindings.
	{in: `x = a - b`},
	{in: `x = a | sample 5`},
	{in: `x = y = z`},
	{in: `x = role = "a"`},
	// Stage keywords are names in expressions.
	{in: `sample + count`},

	// Errors: exact text and position.
	{in: "", err: `1:1: unexpected end of input (expected a set expression)`},
	{in: "   ", err: `1:4: unexpected end of input (expected a set expression)`},
	{in: "(a", err: `1:3: unexpected end of input (expected ")")`},
	{in: "a)", err: `1:2: unexpected token ")"`},
	{in: "((a)", err: `1:5: unexpected end of input (expected ")")`},
	{in: "a +", err: `1:4: unexpected end of input (expected a set name, a quoted host list, a predicate or "(")`},
	{in: "a -", err: `1:4: unexpected end of input (expected a set name, a quoted host list, a predicate or "(")`},
	{in: "a + + b", err: `1:5: unexpected token "+" (expected a set name, a quoted host list, a predicate or "(")`},
	{in: "(a | count)", err: `1:4: a pipeline stage (|) is only allowed at the top level, not inside parentheses`},
	{in: "a | where (b | count)", err: `1:14: a pipeline stage (|) is only allowed at the top level, not inside parentheses`},
	{in: "a | ", err: `1:5: unexpected end of input (expected a pipeline stage (sample, head, spread, stratify, where, count, by, show or split))`},
	{in: "| count", err: `1:1: unexpected token "|" (expected a set expression)`},
	{in: "a | count | head 1", want: "a | count | head 1"}, // parses; Check refuses it
	{in: "a | sample 101%", err: `1:5: sample 101%: a percentage is at most 100`},
	{in: "a | sample 5 stable", err: `1:5: sample N stable needs a percentage (sample 5% stable)`},
	{in: "a | sample 2.5", err: `1:5: expected a whole number, got "2.5"`},
	{in: "a | sample 1e300", err: `1:5: expected a whole number, got "1e300"`},
	{in: "a | head 1.5", err: `1:5: expected a whole number, got "1.5"`},
	{in: "a | head -1", err: `1:10: unexpected token "-" (expected a number)`},
	{in: "a | split 0", err: `1:5: split needs at least 1 batch`},
	{in: "a | frob", err: `1:5: unexpected token "frob" (expected a pipeline stage (sample, head, spread, stratify, where, count, by, show or split))`},
	{in: "name@0", err: `1:6: pass ids start at 1 (use @-1 for the previous pass)`},
	{in: "a@-1.5", err: `1:3: bad pass number "1.5"`},
	{in: "a@2026-13-45", err: `1:3: bad time "2026-13-45": expected YYYY-MM-DD[THH:MM[:SS][Z|±HH:MM]]`},
	{in: "(x)@-1@-2", err: `1:7: unexpected token "@"`},
	{in: "$", err: `1:1: unexpected text "$"`},
	{in: "a + $", err: `1:5: unexpected text "$"`},
	{in: `"unterminated`, err: `1:1: unexpected text "\"unterminated"`},
	{in: "foo(x) exists", err: `1:1: unknown function "foo" (expected age(METRIC))`},
	{in: "role = 5", err: `1:8: unexpected token "5" (expected a set expression)`},
	{in: "a\n+ (b\n| count)", err: `3:1: a pipeline stage (|) is only allowed at the top level, not inside parentheses`},
	// Malformed host literals: a syntax error at the offending byte.
	{in: `all - "n[9-3]*"`, err: `1:10: bad host literal "n[9-3]*": reversed range: 9-3`},
	{in: `'n[z-a]'`, err: `1:4: bad host literal "n[z-a]": reversed range: z-a`},
	{in: `"dn[0001-0100*"`, err: `1:4: bad host literal "dn[0001-0100*": unbalanced bracket: '[' is never closed`},
	{in: `"dn0001-0100]*"`, err: `1:13: bad host literal "dn0001-0100]*": unbalanced bracket: ']' without '['`},
	{in: `"n[1[2]]"`, err: `1:5: bad host literal "n[1[2]]": unbalanced bracket: '[' inside brackets`},
	{in: `"n[]"`, err: `1:4: bad host literal "n[]": invalid syntax: empty range item`},
	{in: `"n[1-]"`, err: `1:4: bad host literal "n[1-]": invalid syntax: range item "1-"`},
	{in: `"n[001-10]"`, err: `1:4: bad host literal "n[001-10]": bounds padded to different widths: 001-10 (pad both bounds to one width, as 001-010)`},
	{in: `"n[1-5/0]"`, err: `1:4: bad host literal "n[1-5/0]": invalid syntax: step 0`},
	{in: `"web 1"`, err: `1:5: bad host literal "web 1": invalid syntax: whitespace inside a name`},
	{in: `""`, err: `1:2: bad host literal "": empty element`},
	{in: `"a,"`, err: `1:4: bad host literal "a,": empty element`},
	{in: `"n[0-1000000]"`, err: `1:4: bad host literal "n[0-1000000]": expands to more than 1000000 names`},
	{in: `"*[1-1025]"`, err: `1:2: bad host literal "*[1-1025]": expands to more than 1024 globs`},
	{in: `a + "\x5b"`, err: `1:5: bad host literal "[": unbalanced bracket: '[' is never closed`}, // an escape: no byte position inside
	{in: "a +\n  \"n[9-3]\"", err: `2:6: bad host literal "n[9-3]": reversed range: 9-3`},
	{in: "x in ()", err: `1:7: unexpected token ")" (expected (a number | a duration))`},
}

// TestParse reads every statement as the parser alone does, with no name
// an attribute: `NAME = …` is a binding.
func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		st, err := parseNoAttrs(tt.in)
		if tt.err != "" {
			require.Error(t, err, "%q", tt.in)
			assert.Equal(t, tt.err, err.Error(), "%q", tt.in)
			var qe *Error
			assert.True(t, errors.As(err, &qe), "%q: want *Error, got %T", tt.in, err)
			continue
		}
		require.NoError(t, err, "%q", tt.in)
		want := tt.want
		if want == "" {
			want = tt.in
		}
		got := st.String()
		assert.Equal(t, want, got, "%q", tt.in)
		roundTrip(t, st)
	}
}

// roundTrip checks Parse(String(ast)) gives the same tree and text.
func roundTrip(t *testing.T, st *Statement) {
	t.Helper()
	text := st.String()
	again, err := Parse(text)
	require.NoError(t, err, "reparse %q (from %q)", text, st.Text)
	assert.Equal(t, text, again.String(), "round trip of %q", st.Text)
	assert.Equal(t, shape(st), shape(again), "tree of %q", st.Text)
}

// shape prints a statement's tree fully parenthesised, with binding.
func shape(st *Statement) string {
	s := st.Bind + "=" + nodeShape(st.Pipeline.Expr)
	for _, stg := range st.Pipeline.Stages {
		s += " | " + stg.String()
		if w, ok := stg.(*Where); ok {
			s += "{" + nodeShape(w.Pred) + "}"
		}
	}
	return s
}

func nodeShape(n Node) string {
	switch n := n.(type) {
	case *Binary:
		return "(" + nodeShape(n.L) + " " + string(n.Op) + " " + nodeShape(n.R) + ")"
	case *Not:
		return "not(" + nodeShape(n.X) + ")"
	case *At:
		return "at(" + nodeShape(n.X) + "," + n.Src + ")"
	}
	return "[" + n.String() + "]"
}

// The four set operators share one precedence and associate to the left;
// this pins the tree, not just the printed text.
func TestPrecedenceTreeShape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"all - a & b", "((([all] - [a]) & [b]))"},
		{"(all - a) & b", "((([all] - [a]) & [b]))"},
		{"a - (b & c)", "(([a] - ([b] & [c])))"},
		{"a & b - c", "((([a] & [b]) - [c]))"},
		{"a + b ^ c - d & e", "((((([a] + [b]) ^ [c]) - [d]) & [e]))"},
		{"a ^ b + c", "((([a] ^ [b]) + [c]))"},
		{`role == "x" & b`, `(([role = "x"] & [b]))`},
		{`b - role = "x"`, `(([b] - [role = "x"]))`},
		{`(a or b - c)`, `(([a] + ([b] - [c])))`},
		{`(not a and b)`, `((not([a]) & [b]))`},
		{`(not a & b)`, `(not(([a] & [b])))`},
		{`dead - dead@-1`, `(([dead] - at([dead],-1)))`},
	} {
		e, err := ParseExpr(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, "("+nodeShape(e)+")", tt.in)
	}
	a, _ := ParseExpr("all - a & b")
	b, _ := ParseExpr("all - (a & b)")
	assert.NotEqual(t, nodeShape(a), nodeShape(b), "`all - a & b` must differ from `all - (a & b)`")
	c, _ := ParseExpr("a - (b & c)")
	d, _ := ParseExpr("a - b & c")
	assert.NotEqual(t, nodeShape(c), nodeShape(d))
}

func TestParseExpr(t *testing.T) {
	_, err := ParseExpr("a | count")
	assert.EqualError(t, err, "1:5: expected a set expression, without pipeline stages")
	_, err = ParseExpr("x = a")
	assert.EqualError(t, err, "1:1: expected a set expression, without a binding")
	n, err := ParseExpr("a - b")
	require.NoError(t, err)
	assert.Equal(t, "a - b", n.String())
}

// Parse keeps both readings of `NAME = …`; resolve (the first step of
// Check) picks the predicate when NAME is an attribute, else the binding.
func TestResolve(t *testing.T) {
	attrs := map[string]bool{"role": true, "node_load1": true}
	isAttr := func(n string) bool { return attrs[n] }
	for _, tt := range []struct{ in, bind, want, err string }{
		{in: `role = "x"`, want: `(role = "x")`},
		{in: `role = "x" & b | count`, want: `(role = "x" & b) | count`},
		{in: `  role = web-1`, want: `(role = web-1)`},
		{in: `node_load1 = 5`, want: `(node_load1 = 5)`},
		{in: `node_load1 = -5 + b`, want: `(node_load1 = -5 + b)`},
		{in: `other = "x"`, bind: "other", want: `other = "x"`},
		{in: `other = role = "x"`, bind: "other", want: `other = role = "x"`},
		{in: `role == "x"`, want: `(role = "x")`},
		{in: `role`, want: `role`},
		{in: `role = (a | count)`, err: `1:11: a pipeline stage (|) is only allowed at the top level, not inside parentheses`},
		// Neither reading parses: Parse reports the one that got further,
		// the binding on a tie, before any pass is asked.
		{in: `role = `, err: `1:8: unexpected end of input (expected a set expression)`},
		// Only the predicate reading parses, and role is no attribute: the
		// binding's error, from resolve.
		{in: `other = 5`, err: `1:9: unexpected token "5" (expected a set expression)`},
		// Only the binding parses, and role is an attribute.
		{in: `role = not a`, err: `1:12: unexpected token "a"`},
		{in: `role = 5 = 6`, err: `1:10: unexpected token "="`},
	} {
		st, err := Parse(tt.in)
		if err == nil {
			err = st.resolve(isAttr)
		}
		if tt.err != "" {
			assert.EqualError(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.bind, st.Bind, tt.in)
		assert.Equal(t, tt.want, st.String(), tt.in)
		roundTrip(t, st)
	}
}

func TestPositions(t *testing.T) {
	st, err := Parse("a\n  - bb@-1 | where x = 1")
	require.NoError(t, err)
	bin := st.Pipeline.Expr.(*Binary)
	assert.Equal(t, Pos{Offset: 4, Line: 2, Col: 3}, bin.P)
	assert.Equal(t, Pos{Offset: 6, Line: 2, Col: 5}, bin.R.(*At).X.Position())
	assert.Equal(t, Pos{Offset: 14, Line: 2, Col: 13}, st.Pipeline.Stages[0].Position())
	// Columns count runes, as the caret is drawn.
	_, err = Parse(`"é" + +`)
	assert.EqualError(t, err, `1:7: unexpected token "+" (expected a set name, a quoted host list, a predicate or "(")`)
	var qe *Error
	require.True(t, errors.As(err, &qe))
	assert.Equal(t, "  \"é\" + +\n        ^", qe.Detail())
}

// TestHostLiteralCaret: the caret of a bad literal is under the fault.
func TestHostLiteralCaret(t *testing.T) {
	_, err := Parse(`all - "dn[0001-0100].smf1,n[9-3]*"`)
	require.Error(t, err)
	var qe *Error
	require.True(t, errors.As(err, &qe))
	assert.ErrorIs(t, err, ErrBadHostLiteral)
	assert.Equal(t, "  all - \"dn[0001-0100].smf1,n[9-3]*\"\n                              ^", qe.Detail())
}

func TestNestingDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("(", n) + "a" + strings.Repeat(")", n) }
	st, err := Parse(nest(MaxDepth))
	require.NoError(t, err)
	assert.Equal(t, "a", st.String())

	for _, in := range []string{nest(MaxDepth + 1), nest(10_000), strings.Repeat("(", 10_000)} {
		_, err = Parse(in)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrTooDeep)
		assert.Equal(t, "1:201: expression nested too deeply (more than 200 levels)", err.Error())
	}
	_, err = Parse("(" + strings.Repeat("not ", MaxDepth) + "a)")
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = Parse("(" + strings.Repeat("not ", MaxDepth-1) + "a)")
	assert.NoError(t, err)

	_, err = Parse(strings.Repeat("a + ", MaxTokens/2) + "a")
	assert.ErrorIs(t, err, ErrTooLong)
	st, err = Parse(strings.Repeat("a + ", 1000) + "a")
	require.NoError(t, err)
	roundTrip(t, st)
}

func TestGrammarEBNF(t *testing.T) {
	got := statementParser().String() + "\n"
	const file = "testdata/grammar.ebnf"
	if *updateGolden {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test -run TestGrammarEBNF -update to create it")
	assert.Equal(t, string(want), got, "the grammar changed: check the change, then go test -run TestGrammarEBNF -update")
}
