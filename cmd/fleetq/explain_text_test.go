package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// chainText is the text output of explain and of why for a flat chain of
// n terms.
func chainText(t *testing.T, f *querytest.Fleet, n int) (explain, why []byte) {
	t.Helper()
	steps, _, err := query.Explain(&query.Env{Snap: f.Snapshot()}, querytest.Chain(n))
	require.NoError(t, err)
	var e, w bytes.Buffer
	writeSteps(&e, steps)
	rep, err := query.Why(&query.Env{Snap: f.Snapshot()}, querytest.Chain(n), "host0006", f.ID("host0006"))
	require.NoError(t, err)
	writeWhy(&w, rep)
	return e.Bytes(), w.Bytes()
}

// Twice the terms print about twice the bytes: the output of explain and
// why is linear in the chain (a nested tree, padded, was quadratic).
func TestExplainWhyTextLinear(t *testing.T) {
	f := querytest.ChainFleet(200)
	e1, w1 := chainText(t, f, 2_500)
	e2, w2 := chainText(t, f, 5_000)
	assert.LessOrEqual(t, float64(len(e2)), 2.2*float64(len(e1)), "explain: %d bytes for 2,500 terms, %d for 5,000", len(e1), len(e2))
	assert.LessOrEqual(t, float64(len(w2)), 2.2*float64(len(w1)), "why: %d bytes for 2,500 terms, %d for 5,000", len(w1), len(w2))
}

// The why tree draws its branches as explain does.
func TestWhyTreeBranches(t *testing.T) {
	f := querytest.ChainFleet(20)
	st, err := query.Parse("all - (s0 & (s1 + s2)) - s3")
	require.NoError(t, err)
	rep, err := query.Why(&query.Env{Snap: f.Snapshot()}, st, "host0006", f.ID("host0006"))
	require.NoError(t, err)
	var b bytes.Buffer
	writeWhy(&b, rep)
	assert.Equal(t, `EXPRESSION                   IN   FROM
all - (s0 & (s1 + s2)) - s3  no
├─ all - (s0 & (s1 + s2))    yes
│  ├─ all                    yes  pass 1: every host of pass 1
│  └─ s0 & (s1 + s2)         no
│     ├─ s0                  no   pass 1: set s0 of pass 1
│     └─ s1 + s2             yes
│        ├─ s1               no   pass 1: set s1 of pass 1
│        └─ s2               yes  pass 1: set s2 of pass 1
└─ s3                        yes  pass 1: set s3 of pass 1

host0006 is NOT IN the result of pass 1: removed by - s3 (the host is in it)
`, b.String())
}
