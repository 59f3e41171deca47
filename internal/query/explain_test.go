package query_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

func explainChain(t *testing.T, f *querytest.Fleet, n int) []query.Step {
	t.Helper()
	steps, _, err := query.Explain(&query.Env{Snap: f.Snapshot()}, querytest.Chain(n))
	require.NoError(t, err)
	return steps
}

// A chain of eight terms is still the tree the parser builds; of nine it
// is flat: the chain, its first term, then `… OP TERM` with the term below.
func TestExplainChainShape(t *testing.T) {
	f := querytest.ChainFleet(100)
	tree := explainChain(t, f, 8)
	assert.Len(t, tree, 15, "a tree of 8 terms has 15 nodes")
	assert.Equal(t, 7, tree[7].Depth, "the first term is 7 operators down")
	assert.Equal(t, "all", tree[7].Text)

	flat := explainChain(t, f, 9)
	require.Len(t, flat, 1+1+2*8)
	assert.Equal(t, "all + s0 - s1 & s2 ^ s3 + s4 - s5 & s6 ^ s7", flat[0].Text)
	assert.Equal(t, query.Step{Depth: 1, Text: "all", Size: 100, Origin: "every host of pass 1"}, flat[1])
	assert.Equal(t, query.Step{Depth: 1, Text: "… + s0", Size: 100}, flat[2])
	assert.Equal(t, query.Step{Depth: 2, Text: "s0", Size: 50, Origin: "set s0 of pass 1", Last: true}, flat[3])
	last := flat[len(flat)-2]
	assert.Equal(t, "… ^ s7", last.Text)
	assert.True(t, last.Last)
	assert.Equal(t, flat[0].Size, last.Size, "the last step is the chain's result")
	for _, s := range flat {
		assert.LessOrEqual(t, s.Depth, 2, s.Text)
	}
}

// Each step of a flat chain has the size of the chain up to its term.
func TestExplainChainRunningSizes(t *testing.T) {
	f := querytest.ChainFleet(300)
	const n = 40
	steps := explainChain(t, f, n)
	for k := 2; k <= n; k++ {
		r, err := query.Run(&query.Env{Snap: f.Snapshot()}, querytest.Chain(k))
		require.NoError(t, err)
		step := steps[2*(k-1)]
		assert.True(t, strings.HasPrefix(step.Text, "… "), step.Text)
		assert.Equal(t, r.Hosts.GetCardinality(), step.Size, "after %d terms", k)
	}
}

// The output of explain and why grows linearly with the chain: twice the
// terms, about twice the text (a nested tree would be four times).
func TestExplainWhyOutputLinear(t *testing.T) {
	f := querytest.ChainFleet(200)
	id := f.ID("host0006")
	size := func(n int) (explain, why int) {
		for _, s := range explainChain(t, f, n) {
			explain += len(s.Text) + len(s.Origin) + s.Depth
		}
		rep, err := query.Why(&query.Env{Snap: f.Snapshot()}, querytest.Chain(n), "host0006", id)
		require.NoError(t, err)
		for _, s := range rep.Steps {
			why += len(s.Text) + len(s.Origin) + len(s.Value) + s.Depth
		}
		return explain, why + len(rep.Verdict)
	}
	e1, w1 := size(2_000)
	e2, w2 := size(4_000)
	assert.LessOrEqual(t, float64(e2), 2.2*float64(e1), "explain: %d bytes for 2,000 terms, %d for 4,000", e1, e2)
	assert.LessOrEqual(t, float64(w2), 2.2*float64(w1), "why: %d bytes for 2,000 terms, %d for 4,000", w1, w2)
}

// A chain of 10,000 terms (longer than a statement's text may be) is
// explained in full, each line's text bounded.
func TestExplainWhyTenThousandTerms(t *testing.T) {
	f := querytest.ChainFleet(100)
	const n = 10_000
	st := querytest.Chain(n)
	r, err := query.Run(&query.Env{Snap: f.Snapshot()}, st)
	require.NoError(t, err)
	steps := explainChain(t, f, n)
	require.Len(t, steps, 2*n)
	assert.Equal(t, r.Hosts.GetCardinality(), steps[0].Size)
	assert.Contains(t, steps[0].Text, " … ")
	for _, s := range steps {
		assert.LessOrEqual(t, len(s.Text), 110, "a line's text is clipped")
	}
	rep, err := query.Why(&query.Env{Snap: f.Snapshot()}, st, "host0006", f.ID("host0006"))
	require.NoError(t, err)
	assert.Len(t, rep.Steps, 2*n)
	assert.Equal(t, r.Hosts.Contains(f.ID("host0006")), rep.In)
	assert.Less(t, len(rep.Verdict), 500, rep.Verdict)
}

// A verdict names the first terms that kept a host and counts the rest.
func TestWhyVerdictCountsKeptTerms(t *testing.T) {
	f := querytest.NewFleet()
	f.NewPass().AddHosts("h1", "h2").AddSet("x", "h2")
	env := &query.Env{Snap: f.Snapshot()}
	st, err := parse(env, "all"+strings.Repeat(" - x", 9))
	require.NoError(t, err)
	rep, err := query.Why(env, st, "h1", f.ID("h1"))
	require.NoError(t, err)
	assert.Equal(t, "in: brought in by all"+strings.Repeat("; kept: not in x", 5)+"; kept by 4 more terms", rep.Verdict)
}
