package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pctBudget(pct float64, floor, ceiling int) Budget {
	return Budget{Pct: &pct, Floor: &floor, Ceiling: &ceiling}
}

func TestCapRounding(t *testing.T) {
	cases := []struct {
		name                 string
		pct                  float64
		floor, ceiling, size int
		raw, cap             int
	}{
		{"0 hosts at 5%: the floor still reads 1", 5, 1, 5, 0, 0, 1},
		{"1 host at 5%", 5, 1, 5, 1, 0, 1},
		{"2 hosts at 5%", 5, 1, 5, 2, 0, 1},
		{"0 hosts at 0%", 0, 1, 100, 0, 0, 1},
		{"1 host at 0%", 0, 1, 100, 1, 0, 1},
		{"2 hosts at 0%", 0, 1, 100, 2, 0, 1},
		{"0% with floor 0 disables the verb", 0, 0, 100, 2, 0, 0},
		{"0 hosts at 100%", 100, 1, 1000, 0, 0, 1},
		{"1 host at 100%", 100, 1, 1000, 1, 1, 1},
		{"2 hosts at 100%", 100, 1, 1000, 2, 2, 2},
		{"2 hosts at 100% with floor 0", 100, 0, 1000, 2, 2, 2},
		{"412 hosts at 6%: 24.72 rounds down", 6, 1, 200, 412, 24, 24},
		{"10 hosts at 5%: the floor", 5, 1, 5, 10, 0, 1},
		{"the ceiling", 6, 1, 200, 10000, 600, 200},
		{"7% of 100 is exactly 7", 7, 1, 100, 100, 7, 7},
		{"a fractional percent", 2.5, 1, 100, 1000, 25, 25},
		{"49 at 5%: 2.45", 5, 1, 5, 49, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := pctBudget(tc.pct, tc.floor, tc.ceiling).Cap(tc.size)
			assert.Equal(t, tc.raw, a.Raw, "raw")
			assert.Equal(t, tc.cap, a.Cap, "cap")
		})
	}
}

func TestCapNoCeilingAndMax(t *testing.T) {
	pct := 50.0
	a := Budget{Pct: &pct}.Cap(9)
	assert.Equal(t, 4, a.Cap)
	assert.Equal(t, "50% of 9 = 4 (floor 1, ceiling none)", a.String())
	one := 1
	m := Budget{Max: &one}.Cap(45)
	assert.Equal(t, 1, m.Cap)
	assert.Equal(t, "max 1", m.String())
}

func TestArithString(t *testing.T) {
	assert.Equal(t, "6% of 412 = 24 (floor 1, ceiling 200)", pctBudget(6, 1, 200).Cap(412).String())
	assert.Equal(t, "5% of 10 = 0 → 1 (floor 1, ceiling 5)", pctBudget(5, 1, 5).Cap(10).String())
	assert.Equal(t, "3% of 10000 = 300 → 100 (floor 1, ceiling 100)", pctBudget(3, 1, 100).Cap(10000).String())
}

func TestHeadroom(t *testing.T) {
	assert.Equal(t, 7, Headroom(24, 17, 0))
	assert.Equal(t, 3, Headroom(24, 17, 4))
	assert.Equal(t, -2, Headroom(1, 3, 0))
}

// TestCapProperties checks on random budgets that the cap is never below
// the floor, never above the ceiling, never above the percentage unless
// the floor lifts it, and monotone in the cluster size.
func TestCapProperties(t *testing.T) {
	seed := uint64(20261120)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i < 5000; i++ {
		pct := float64(rng.IntN(10001)) / 100
		floor := rng.IntN(5)
		ceiling := floor + rng.IntN(300)
		size := rng.IntN(5000)
		b := pctBudget(pct, floor, ceiling)
		a, bigger := b.Cap(size), b.Cap(size+1+rng.IntN(100))
		msg := fmt.Sprintf("seed %d: pct %v floor %d ceiling %d size %d", seed, pct, floor, ceiling, size)
		require.GreaterOrEqual(t, a.Cap, floor, msg)
		require.LessOrEqual(t, a.Cap, ceiling, msg)
		require.LessOrEqual(t, float64(a.Raw), pct*float64(size)/100+1e-9, msg)
		if a.Cap > floor {
			require.LessOrEqual(t, a.Cap, a.Raw, msg)
		}
		require.GreaterOrEqual(t, bigger.Cap, a.Cap, msg)
	}
}

func TestParseRateAndDuration(t *testing.T) {
	r, err := ParseRate("20/1h")
	require.NoError(t, err)
	assert.Equal(t, 20, r.N)
	d, err := ParseDuration("1d12h")
	require.NoError(t, err)
	assert.Equal(t, "36h0m0s", d.String())
	for _, bad := range []string{"20", "x/1h", "5/0s", "5/soon", "-1/1h"} {
		_, err := ParseRate(bad)
		assert.Error(t, err, bad)
	}
}
