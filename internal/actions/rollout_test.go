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
	assert.Equal(t, "k-w2", p.Waves[2].Set)
}

func TestCheckWaveVerdicts(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 100})
	pass := f.Newest()
	healthy := map[string]bool{}
	for _, h := range []string{"c-01-h0000", "c-01-h0001", "c-01-h0002", "c-01-h0003"} {
		healthy[h] = false
	}
	pass.SetBool("bad", healthy)
	pol := mustPolicy(t, "health = '(not bad)'\n"+testPolicy)
	env := &query.Env{Ctx: context.Background(), Snap: f.Snapshot(), Seed: 1}
	ids := func(names ...string) *roaring.Bitmap { return f.Bitmap(names...) }
	waves := map[int]*roaring.Bitmap{0: ids("c-01-h0010", "c-01-h0011", "c-01-h0012"), 1: ids("c-01-h0020", "c-01-h0021"), 2: ids("c-01-h0030", "c-01-h0031", "c-01-h0032", "c-01-h0033", "c-01-h0034")}
	c, err := CheckWave(context.Background(), env, pol, "r", 0, waves)
	require.NoError(t, err)
	assert.Equal(t, "go", c.Verdict)
	c, _ = CheckWave(context.Background(), env, pol, "r", 1, waves)
	assert.Equal(t, "pause", c.Verdict, "2 hosts < min_hosts 3")

	pass.SetBool("bad", map[string]bool{"c-01-h0030": true, "c-01-h0031": true})
	c, _ = CheckWave(context.Background(), env, pol, "r", 2, waves)
	assert.Equal(t, "halt", c.Verdict)
	assert.Equal(t, 60.0, c.Health.WavePct)
	assert.Contains(t, c.Reasons[0], "healthy 60.0% of the wave")
	_, err = CheckWave(context.Background(), env, pol, "r", 7, waves)
	assert.Error(t, err)
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
