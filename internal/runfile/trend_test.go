package runfile

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// states is a fleet of hosts h0..h7 with one pass per element: in pass i
// the first dead[i] hosts are dead, the next drain[i] draining, the rest
// active.
func states(dead, drain []int) *querytest.Fleet {
	f := querytest.NewFleet()
	for i := range dead {
		life := map[string]string{}
		for h := 0; h < 8; h++ {
			v := "active"
			switch {
			case h < dead[i]:
				v = "dead"
			case h < dead[i]+drain[i]:
				v = "draining"
			}
			life[fmt.Sprintf("h%d", h)] = v
		}
		f.NewPass().SetString("lifecycle", life)
	}
	return f
}

const trends = `dead = lifecycle = "dead"
draining = lifecycle = "draining"
newly_dead = dead - dead@-1
watch dead up
watch draining down 2
assert count(draining) <= count(draining@-1)
assert not rising(dead, 3)
assert not stuck(draining, 2)
assert falling(draining, 1)
assert count(newly_dead) <= count(newly_dead@-1)
`

func asserts(r *Report) map[int]Assert {
	out := map[int]Assert{}
	for _, a := range r.Asserts {
		out[a.Line] = a
	}
	return out
}

func TestParseTrends(t *testing.T) {
	f, err := Parse("t.fq", trends)
	require.NoError(t, err)
	require.Len(t, f.Lines, 10)
	assert.Equal(t, &Watch{Name: "dead", Dir: "up", Steps: 3}, f.Lines[3].Watch)
	assert.Equal(t, &Watch{Name: "draining", Dir: "down", Steps: 2}, f.Lines[4].Watch)
	cmp := f.Lines[5].Assert
	assert.Equal(t, "<=", cmp.Op)
	assert.Equal(t, "draining", cmp.Left.Expr.String())
	assert.Equal(t, "draining@-1", cmp.Right.Expr.String())
	assert.Equal(t, &Trend{Fn: Rising, Expr: f.Lines[6].Assert.Trend.Expr, Steps: 3, Not: true}, f.Lines[6].Assert.Trend)
	assert.Equal(t, "dead", f.Lines[6].Assert.Trend.Expr.String())
	assert.Equal(t, Stuck, f.Lines[7].Assert.Trend.Fn)
	assert.False(t, f.Lines[8].Assert.Trend.Not)

	// A comma inside parentheses or quotes is the expression's.
	f, err = Parse("t.fq", `assert rising((lifecycle in (dead, draining)) - "h1,h2", 2)`)
	require.NoError(t, err)
	assert.Equal(t, 2, f.Lines[0].Assert.Trend.Steps)

	// Inside count( ) and the trends, NAME = … is a predicate.
	f, err = Parse("t.fq", `assert count(lifecycle = "dead") < count(lifecycle = "dead"@-1)`+"\nassert stuck(lifecycle = \"draining\", 2)\n")
	require.NoError(t, err)
	assert.Equal(t, `lifecycle = "dead"`, f.Lines[0].Assert.Left.Expr.String())
	r, err := run(t, states([]int{1, 2, 2}, []int{1, 1, 1}), `assert count(lifecycle = "dead") <= 2`+"\nassert stuck(lifecycle = \"draining\", 2)\n")
	require.NoError(t, err)
	assert.Equal(t, []string{VerdictOK, VerdictFail}, []string{r.Asserts[0].Verdict, r.Asserts[1].Verdict})

	// Words that start like directives are bindings.
	f, err = Parse("t.fq", "asserted = all\nwatch = all\nsave = all\n")
	require.NoError(t, err)
	for _, l := range f.Lines {
		assert.NotNil(t, l.Stmt, l.Text)
	}
}

// Errors name the column, with the line as the caret's input.
func TestParseTrendErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"assert rising(dead)", "t.fq:1:19: expected , STEPS"},
		{"assert rising(dead, 0)", "t.fq:1:21: expected a number of steps from 1 to 100, not \"0\""},
		{"assert stuck(dead, 101)", "t.fq:1:20: expected a number of steps"},
		{"assert not count(dead) < 3", "t.fq:1:12: expected rising, falling or stuck after assert not"},
		{"assert count(dead) <> 3", "t.fq:1:21: expected count(EXPR) or a number"},
		{"assert count(dead) 3", "t.fq:1:20: expected one of < <= > >= == !="},
		{"assert count(dead -) < count(dead@-1)", "t.fq:1:19:"},
		{"assert count(dead) < count(dead -)", "t.fq:1:33:"},
		{"assert rising(dead -, 3)", "t.fq:1:"},
		{"assert 3 < count(dead)", "t.fq:1:8: the left side of an assert is count(EXPR)"},
		{"assert count(dead < 3", "t.fq:1:13: unbalanced parenthesis"},
		{"assert", "t.fq:1:7: expected count(EXPR) OP count(EXPR)"},
		{"dead = all\nwatch dead sideways", "t.fq:2:1: expected watch NAME up|down [STEPS]"},
		{"watch nope up", "t.fq:1:7: watch nope: no line of the file binds nope"},
		{"save", "t.fq:1:1: expected save NAME"},
	} {
		_, err := Parse("t.fq", tc.text)
		var de *query.DefError
		require.ErrorAs(t, err, &de, tc.text)
		assert.Contains(t, err.Error(), tc.want, tc.text)
		var qe *query.Error
		if assert.ErrorAs(t, err, &qe, tc.text) {
			assert.Contains(t, qe.Detail(), "^", tc.text)
		}
	}
}

func TestTrendAssertsWithEnoughPasses(t *testing.T) {
	// dead rises 1 2 3 4; draining falls 4 3 2 1.
	r, err := run(t, states([]int{1, 2, 3, 4}, []int{4, 3, 2, 1}), trends)
	require.NoError(t, err)
	require.Empty(t, r.Skipped)
	got := asserts(r)
	one := uint64(2)
	assert.Equal(t, Assert{Line: 6, Text: "count(draining) <= count(draining@-1)", OK: true, Verdict: VerdictOK, Count: 1, Right: &one}, got[6])
	assert.Equal(t, Assert{Line: 7, Text: "not rising(dead, 3)", Verdict: VerdictFail, Count: 4, Counts: []uint64{1, 2, 3, 4}}, got[7])
	assert.Equal(t, VerdictOK, got[8].Verdict, "draining changed every step: not stuck")
	assert.Equal(t, []uint64{3, 2, 1}, got[8].Counts)
	assert.Equal(t, VerdictOK, got[9].Verdict)
	// newly_dead is 1 in every pass from 2 on; in pass 4 it reads pass 3's
	// newly_dead, which reads pass 2: each pass's own @-1.
	assert.Equal(t, VerdictOK, got[10].Verdict, "%+v", got[10])
	assert.Equal(t, uint64(1), got[10].Count)
	assert.Equal(t, uint64(1), *got[10].Right)

	err = r.Failed()
	var ae *AssertError
	require.ErrorAs(t, err, &ae)
	assert.EqualError(t, err, "checks.fq:7: assert failed: not rising(dead, 3) (counts 1 2 3 4)")

	sets := map[string]Set{}
	for _, s := range r.Sets {
		sets[s.Name] = s
	}
	assert.Equal(t, &WatchResult{Dir: "up", Steps: 3, Counts: []uint64{1, 2, 3, 4}, Marked: true}, sets["dead"].Watch)
	assert.Equal(t, &WatchResult{Dir: "down", Steps: 2, Counts: []uint64{3, 2, 1}, Marked: true}, sets["draining"].Watch)
	assert.Nil(t, sets["newly_dead"].Watch)
	assert.Equal(t, int64(3), *sets["dead"].Prev)
	assert.Equal(t, int64(1), *sets["newly_dead"].Prev)
}

func TestStuckAndUnmarkedWatches(t *testing.T) {
	// draining is h1..h2 in every pass: stuck; dead goes 1 1 2 3: not rising 3 steps running.
	r, err := run(t, states([]int{1, 1, 1, 1}, []int{2, 2, 2, 2}), trends)
	require.NoError(t, err)
	got := asserts(r)
	assert.Equal(t, VerdictOK, got[6].Verdict)
	assert.Equal(t, VerdictOK, got[7].Verdict)
	assert.Equal(t, VerdictFail, got[8].Verdict, "the same two hosts draining for two steps")
	assert.Equal(t, VerdictFail, got[9].Verdict, "draining did not fall")
	for _, s := range r.Sets {
		if s.Watch != nil {
			assert.False(t, s.Watch.Marked, s.Name)
		}
	}

	// The same hosts count, but different hosts: not stuck.
	f := querytest.NewFleet()
	f.NewPass().SetString("lifecycle", map[string]string{"a": "draining", "b": "active"})
	f.NewPass().SetString("lifecycle", map[string]string{"a": "active", "b": "draining"})
	f.NewPass().SetString("lifecycle", map[string]string{"a": "draining", "b": "active"})
	r, err = run(t, f, "draining = lifecycle = \"draining\"\nassert not stuck(draining, 2)\n")
	require.NoError(t, err)
	assert.Equal(t, VerdictOK, r.Asserts[0].Verdict)
}

// With fewer passes than a trend reads, the assert is short: reported
// with why, neither ok nor failed, and the run does not fail.
func TestTrendsShortOfPasses(t *testing.T) {
	r, err := run(t, states([]int{1, 2}, []int{4, 3}), trends)
	require.NoError(t, err)
	got := asserts(r)
	assert.Equal(t, VerdictOK, got[6].Verdict)
	assert.Equal(t, Assert{Line: 7, Text: "not rising(dead, 3)", Verdict: VerdictShort, Count: 2, Counts: []uint64{1, 2},
		Why: "not enough passes: needs 4, 2 so far"}, got[7])
	assert.Equal(t, VerdictShort, got[8].Verdict)
	assert.Equal(t, VerdictOK, got[9].Verdict)
	assert.Equal(t, VerdictShort, got[10].Verdict, "newly_dead@-1 in pass 2 needs pass 0")
	assert.Contains(t, got[10].Why, "not enough passes: ")
	assert.NoError(t, r.Failed())
	for _, s := range r.Sets {
		if s.Name == "dead" {
			assert.Equal(t, []uint64{1, 2}, s.Watch.Counts)
			assert.False(t, s.Watch.Marked)
			assert.Contains(t, s.Watch.Short, "needs 4, 2 so far")
		}
	}

	// On the first pass a comparison with @-1 is short too.
	r, err = run(t, states([]int{1}, []int{4}), "draining = lifecycle = \"draining\"\nassert count(draining) <= count(draining@-1)\n")
	require.NoError(t, err)
	require.Len(t, r.Asserts, 1)
	assert.Equal(t, VerdictShort, r.Asserts[0].Verdict)
	assert.Equal(t, "not enough passes: @-1 from pass 1: no such pass", r.Asserts[0].Why)
	assert.Empty(t, r.Skipped)
}

// A binding under @ with a pass id or a time is refused at its column;
// a stored set under @N still works as the language has it.
func TestBindingTimeTravelNeedsRelative(t *testing.T) {
	f := states([]int{1, 2}, []int{0, 0})
	_, err := run(t, f, "dead = lifecycle = \"dead\"\nassert count(dead@1) < 3\n")
	assert.ErrorContains(t, err, "checks.fq:2:19: dead is a binding of this file: time travel of a binding counts passes back (@-N), not @1")
	r, err := run(t, f, "assert count((lifecycle = \"dead\")@1) < 3\n")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), r.Asserts[0].Count)
}

// A line NAME = … where NAME is an attribute is a predicate: its set is
// named by the line, it binds nothing, and its previous count is read.
func TestPredicateLineIsNotABinding(t *testing.T) {
	r, err := run(t, states([]int{1, 2}, []int{0, 0}), "lifecycle = \"dead\"\n")
	require.NoError(t, err)
	require.Len(t, r.Sets, 1)
	assert.Equal(t, `(lifecycle = "dead")`, r.Sets[0].Name)
	assert.Equal(t, uint64(2), r.Sets[0].Count)
	assert.Equal(t, int64(1), *r.Sets[0].Prev)
	assert.Empty(t, r.Bound)
}

// A binding that cannot be evaluated in an earlier pass (a name that pass
// lacks, here an attribute a later source brought) is reported at its own
// line and column, whichever later line looked back at it, so the message
// and the caret under the line's text agree.
func TestPastBindingErrorNamesItsOwnLine(t *testing.T) {
	f := states([]int{1, 1}, []int{0, 0})
	f.Newest().SetNumber("up", map[string]float64{"h0": 1, "h1": 1})
	_, err := run(t, f, "# a comment\nquiet = all - up == 1\nassert count(quiet) <= count(quiet@-1)\n")
	require.Error(t, err)
	var de *query.DefError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 2, de.Line, err.Error())
	var qe *query.Error
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "quiet = all - up == 1", qe.Input)
	assert.Contains(t, err.Error(), "checks.fq:2:")
	assert.Contains(t, err.Error(), "pass 1")
}
