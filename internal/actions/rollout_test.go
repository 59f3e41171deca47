package actions

import (
	"context"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
)

func TestParseWaves(t *testing.T) {
	w, err := ParseWaves("1%,5%,25%,100%")
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 5, 25, 100}, w)
	for _, bad := range []string{"", "5%,1%,100%", "1%,50%", "0%,100%", "x,100%", "1%,120%"} {
		_, err := ParseWaves(bad)
		assert.Error(t, err, bad)
	}
}

func TestPlanRolloutWavesAreCumulativeAndSpread(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-dense-01", n: 400, perRack: 20, groups: 3})
	env := &query.Env{Ctx: context.Background(), Snap: f.Snapshot(), Seed: 11}
	p, err := PlanRollout(env, "k", "all", []float64{1, 5, 25, 100}, []string{"replica_group"}, "rack")
	require.NoError(t, err)
	require.Len(t, p.Waves, 5)
	assert.Equal(t, 3, p.Waves[0].Size, "one canary per replica group")
	assert.Equal(t, []int{3, 4, 20, 100, 400}, []int{p.Waves[0].Target, p.Waves[1].Target, p.Waves[2].Target, p.Waves[3].Target, p.Waves[4].Target})
	assert.Equal(t, 16, p.Waves[2].Racks, "16 hosts over 20 racks: each on a rack of its own")
	assert.Equal(t, 16, p.Waves[2].Size)
	union := roaring.New()
	for _, w := range p.Waves {
		assert.False(t, union.Intersects(w.Hosts()), "waves are disjoint")
		union.Or(w.Hosts())
	}
	assert.Equal(t, uint64(400), union.GetCardinality())
	assert.Equal(t, 3, p.Strata, "one stratum per replica group")
}

func TestTokenRoundTrip(t *testing.T) {
	tok := Token{Audit: 17, Pass: 6, Ledger: 12, Policy: "3fa9c2e1b4d0", Seed: 42}
	assert.Equal(t, "a17.p6.l12.3fa9c2e1b4d0.s42", tok.String())
	back, err := ParseToken(tok.String())
	require.NoError(t, err)
	assert.Equal(t, tok, back)
	for _, bad := range []string{"", "a1.p2", "x1.p2.l3.h.s4", "a1.p2.l3.h.sX"} {
		_, err := ParseToken(bad)
		assert.ErrorIs(t, err, ErrBadToken, bad)
	}
}
