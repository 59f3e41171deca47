package policy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const perHead = "[[archetype]]\nname = \"d\"\nany = { pct = 5 }\n"

func TestParsePerLimits(t *testing.T) {
	p, err := Parse([]byte(perHead + `
[limits]
per_rack = 2
[[limits.per]]
attr = "dc"
max = 40
[[limits.per]]
attr = "dc"
scope = "cluster"
pct = 5
floor = 2
`))
	require.NoError(t, err)
	require.Len(t, p.Per, 2)
	assert.Equal(t, "dc", p.Per[0].Attr)
	assert.Equal(t, ScopeFleet, p.Per[0].Scope, "fleet is the default scope")
	assert.False(t, p.Per[0].Cluster())
	assert.Equal(t, 40, p.Per[0].Budget.Cap(1000).Cap)
	assert.True(t, p.Per[1].Cluster())
	assert.Equal(t, 3, p.Per[1].Budget.Cap(70).Cap, "5% of 70 is 3.5: 3")
	assert.Equal(t, 2, p.Per[1].Budget.Cap(20).Cap, "5% of 20 is 1: the floor 2")
	assert.Equal(t, 2, p.PerRack)
}

func TestParsePerLimitErrors(t *testing.T) {
	for _, tc := range []struct{ toml, want string }{
		{"[[limits.per]]\nmax = 4\n", "[[limits.per]] 1: attr is required"},
		{"[[limits.per]]\nattr = \"dc\"\n", `[[limits.per]] 1 (attr "dc"): pct (or max) is required`},
		{"[[limits.per]]\nattr = \"dc\"\nmax = 4\nscope = \"rack\"\n", `scope = "rack": expected "fleet" or "cluster"`},
		{"[[limits.per]]\nattr = \"dc\"\nmax = 4\ncap = 3\n", "unknown key limits.per.cap"},
		{"[[limits.per]]\nattr = \"dc\"\nmax = 4\npct = 3\n", "max is absolute"},
		{"[[limits.per]]\nattr = \"dc\"\npct = 130\n", "pct = 130: must be between 0 and 100"},
		{"[[limits.per]]\nattr = \"dc\"\nmax = 4\n[[limits.per]]\nattr = \"dc\"\nmax = 5\n", `[[limits.per]] 2 (attr "dc"): a second budget over dc with scope fleet`},
		{"[verb.drain]\nrate = \"130%/1h\"\n", `[verb.drain] rate: "130%/1h": "130%" is not a percentage`},
		{"[verb.drain]\nrate = \"3.12345%/1h\"\n", "is not a percentage between 0 and 100 with at most 4 decimals"},
		{"[verb.drain]\nrate = \"x%/1h\"\n", "is not a percentage"},
		{"[verb.drain]\nrate = \"5/1h\"\nrate_floor = 2\n", "[verb.drain] rate_floor = 2: expected a count of at least 0, with a percentage rate"},
		{"[verb.drain]\nrate_floor = 2\n", "[verb.drain] rate_floor: only with a percentage rate"},
		{"[verb.drain]\nrate = \"5%/1h\"\nrate_floor = -1\n", "rate_floor = -1"},
	} {
		_, err := Parse([]byte(perHead + tc.toml))
		require.Error(t, err, tc.toml)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), tc.want, tc.toml)
	}
}

func TestParsePercentRate(t *testing.T) {
	r, err := ParseRate("30%/10m")
	require.NoError(t, err)
	assert.Equal(t, Rate{Pct: 30, IsPct: true, Floor: 1, Window: 10 * time.Minute}, r)
	assert.Equal(t, "30%/10m0s", r.String())
	assert.Equal(t, 3, r.Limit(10))
	assert.Equal(t, 3, r.Limit(11), "30% of 11 is 3.3: 3")
	assert.Equal(t, 1, r.Limit(2), "30% of 2 is 0.6: 0, the floor 1")
	p, err := Parse([]byte(perHead + "[verb.reboot]\nrate = \"12.5%/1h\"\nrate_floor = 0\n"))
	require.NoError(t, err)
	rate := p.Rules("reboot").Rate
	assert.Equal(t, 0, rate.Limit(7), "12.5% of 7 is 0.875: 0, floor 0")
	assert.Equal(t, 1, rate.Limit(8))
	n, err := ParseRate("20/1h")
	require.NoError(t, err)
	assert.Equal(t, 20, n.Limit(1000), "a count rate ignores the size")
}

// TestPercentRateRoundsAsBudgets: a percentage rate's limit is the
// budget's cap of the same pct and floor, with no ceiling (random
// percentages of 4 decimals and sizes; the seed is printed).
func TestPercentRateRoundsAsBudgets(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < 2000; i++ {
		pct := float64(rng.IntN(1000001)) / 10000
		size, floor := rng.IntN(5000), rng.IntN(4)
		r := Rate{Pct: pct, IsPct: true, Floor: floor, Window: time.Hour}
		b := Budget{Pct: &pct, Floor: &floor}
		require.Equal(t, b.Cap(size).Cap, r.Limit(size), "seed %d: %v%% of %d floor %d", seed, pct, size, floor)
		// the naive reference: floor(pct × size / 100) in exact rationals
		raw := int(int64(pct*10000+0.5) * int64(size) / 1000000)
		require.Equal(t, max(raw, floor), r.Limit(size), "seed %d", seed)
	}
}
