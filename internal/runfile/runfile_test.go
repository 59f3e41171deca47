package runfile

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

const checks = `# hourly checks
newly_dead = (lifecycle = "dead") - (lifecycle = "dead")@-1
assert count(newly_dead) < 1
alive = all - lifecycle = "dead"
save alive
alive | count
assert count(all) == 3
`

// fleetOf is a fleet whose passes give each of hosts a, b, c the
// lifecycle named, in order; pass 1 also stores set alive = {a}.
func fleetOf(passes ...[3]string) *querytest.Fleet {
	f := querytest.NewFleet()
	for i, life := range passes {
		p := f.NewPass()
		p.SetString("lifecycle", map[string]string{"a": life[0], "b": life[1], "c": life[2]})
		if i == 0 {
			p.AddSet("alive", "a")
		}
	}
	return f
}

func run(t *testing.T, f *querytest.Fleet, text string) (*Report, error) {
	t.Helper()
	file, err := Parse("checks.fq", text)
	require.NoError(t, err)
	return Run(&query.Env{Ctx: context.Background(), Snap: f.Snapshot(), Seed: 7}, file)
}

func TestParse(t *testing.T) {
	f, err := Parse("checks.fq", checks)
	require.NoError(t, err)
	assert.True(t, f.Saves())
	require.Len(t, f.Lines, 6)
	var kinds []string
	for _, l := range f.Lines {
		switch {
		case l.Save != "":
			kinds = append(kinds, "save "+l.Save)
		case l.Assert != nil:
			kinds = append(kinds, "assert "+l.Assert.Op)
		default:
			kinds = append(kinds, "stmt "+l.Stmt.Bind)
		}
	}
	assert.Equal(t, []string{"stmt newly_dead", "assert <", "stmt alive", "save alive", "stmt ", "assert =="}, kinds)
	assert.Equal(t, 2, f.Lines[0].No, "the comment line counts")
	assert.Equal(t, uint64(1), f.Lines[1].Assert.Right.N)

	f, err = Parse("ro.fq", "all\n")
	require.NoError(t, err)
	assert.False(t, f.Saves())
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"all\nassert all > 1\n", "x.fq:2:8: expected count(EXPR) or a number"},
		{"assert count(all -) < 3\n", "x.fq:1:"},
		{"# ok\n\nall - \n", "x.fq:3:"},
	} {
		_, err := Parse("x.fq", tc.text)
		var de *query.DefError
		require.ErrorAs(t, err, &de, tc.text)
		assert.Contains(t, err.Error(), tc.want, tc.text)
	}
}

// On a first pass the line needing @-1 is skipped, and so is every line
// using what it binds; the rest runs.
func TestRunSkipsLinesThatNeedHistory(t *testing.T) {
	r, err := run(t, fleetOf([3]string{"dead", "active", "active"}), checks)
	require.NoError(t, err)
	require.Len(t, r.Skipped, 2)
	assert.Equal(t, 2, r.Skipped[0].Line)
	assert.Equal(t, `needs an earlier pass: 1:58: @-1 from pass 1: no such pass`, r.Skipped[0].Why)
	assert.Equal(t, Skip{Line: 3, Text: "assert count(newly_dead) < 1", Why: "uses newly_dead, which was skipped"}, r.Skipped[1])
	assert.Equal(t, []Assert{{Line: 7, Text: "count(all) == 3", OK: true, Verdict: VerdictOK, Count: 3}}, r.Asserts)
	assert.NoError(t, r.Failed())
	assert.Equal(t, int64(1), r.Pass)
	assert.Equal(t, "2026-11-20T10:00:00Z", r.Created)
	assert.Equal(t, uint64(7), r.Seed)
}

func TestRunReportsSetsSavesAndAsserts(t *testing.T) {
	f := fleetOf([3]string{"active", "active", "dead"}, [3]string{"dead", "active", "dead"})
	r, err := run(t, f, checks)
	require.NoError(t, err)
	assert.Empty(t, r.Skipped)
	two := int64(2)
	assert.Equal(t, []Set{
		{Name: "newly_dead", Count: 1, idx: 0}, // needs pass 0 in pass 1
		{Name: "alive", Count: 1, Prev: &two, idx: 2},
		{Name: "alive | count", Count: 1, Prev: &two, idx: 4},
	}, r.Sets, "prev is the line evaluated in pass 1")
	assert.Equal(t, []string{"alive"}, r.Saved)
	assert.Equal(t, []string{"b"}, f.Names(r.Save["alive"]))
	assert.Equal(t, []string{"a"}, f.Names(r.Bound["newly_dead"]))
	assert.Len(t, r.Bound, 2, "only bindings are bound")
	require.Len(t, r.Asserts, 2)
	assert.False(t, r.Asserts[0].OK)

	err = r.Failed()
	var ae *AssertError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 3, ae.Assert.Line)
	assert.EqualError(t, err, "checks.fq:3: assert failed: count(newly_dead) < 1 (count is 1)")
}

func TestRunErrorsNameTheLine(t *testing.T) {
	f := fleetOf([3]string{"active", "active", "dead"})
	for _, tc := range []struct{ text, want string }{
		{"all\nsave nope\n", "checks.fq:2: save nope: no binding nope earlier in the file"},
		{"x = all\nassert count(y) > 0\n", `checks.fq:2:14: unknown name: no set "y" in pass 1 (did you mean x?)`},
		{"\nall - nosuch\n", `checks.fq:2:7: unknown name: no set "nosuch"`},
	} {
		_, err := run(t, f, tc.text)
		var de *query.DefError
		require.ErrorAs(t, err, &de, tc.text)
		assert.Contains(t, err.Error(), tc.want, tc.text)
		assert.False(t, errors.Is(err, querytest.ErrNoPass))
	}
}

func TestAssertionOps(t *testing.T) {
	for _, tc := range []struct {
		op   string
		n    uint64
		want bool
	}{
		{"<", 2, true}, {"<", 3, false},
		{"<=", 3, true}, {"<=", 4, false},
		{">", 4, true}, {">", 3, false},
		{">=", 3, true}, {">=", 2, false},
		{"==", 3, true}, {"=", 3, true}, {"==", 2, false},
		{"!=", 2, true}, {"!=", 3, false},
	} {
		assert.Equal(t, tc.want, compare(tc.n, tc.op, 3), "%d %s 3", tc.n, tc.op)
	}
}
