package actions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// dcFleet is two clusters of 100 hosts, c-a and c-b, each with hosts
// 0-49 in dc ams and 50-99 in dc fra; dead are the hosts (by name) that
// are dead.
func dcFleet(dead ...string) *querytest.Fleet {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	dc := map[string]string{}
	for _, c := range []string{"c-a", "c-b"} {
		addCluster(a, clusterSpec{name: c, n: 100, perRack: 10})
		for i := 0; i < 100; i++ {
			dc[fmt.Sprintf("%s-h%04d", c, i)] = []string{"ams", "fra"}[i/50]
		}
	}
	for _, h := range dead {
		a.life[h] = "dead"
	}
	f := fleetOf(a)
	f.Newest().SetString("dc", dc)
	return f
}

const dcPolicyHead = `
unavailable = 'lifecycle = "dead"'
[[archetype]]
name = "d"
any = { pct = 50 }
`

// approvedBy counts a decision's approvals by a key of the host name.
func approvedBy(d *Decision, key func(string) string) map[string]int {
	out := map[string]int{}
	for _, h := range d.Approved {
		out[key(h)]++
	}
	return out
}

func dcOf(h string) string {
	var i int
	_, _ = sscanHost(h, &i)
	return []string{"ams", "fra"}[i/50]
}

// TestPerAttrFleetScope: a fleet-wide pct budget per dc counts the hosts
// of both clusters: 10% of the 100 hosts of ams is 10, two of them dead,
// so 8 more; 10% of fra's 100 is 10. Exactly 18 approved.
func TestPerAttrFleetScope(t *testing.T) {
	f := dcFleet("c-a-h0000", "c-b-h0001")
	pol := mustPolicy(t, dcPolicyHead+`
[[limits.per]]
attr = "dc"
pct = 10
`)
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: 3})
	require.Len(t, d.Approved, 18)
	assert.Equal(t, map[string]int{"ams": 8, "fra": 10}, approvedBy(d, dcOf))
	assert.Equal(t, 198-18, countRule(d, "budget:per dc"))
	details := map[string]bool{}
	for _, x := range d.Denied {
		details[x.Detail] = true
	}
	assert.True(t, details["dc ams: 10 out (per dc 10% of 100 = 10 (floor 1, ceiling none))"], "%v", details)
	assert.True(t, details["dc fra: 10 out (per dc 10% of 100 = 10 (floor 1, ceiling none))"], "%v", details)
	assert.Equal(t, "transient", transientOf(d, "budget:per dc"))
}

func transientOf(d *Decision, rule string) string {
	for _, r := range d.Rules {
		if r.Rule == rule && r.Transient {
			return "transient"
		}
	}
	return ""
}

// TestPerAttrClusterScope: per cluster and dc, max 4: 4 in each of the
// four (cluster, dc) pairs, the dead host of c-a/ams counting as one.
func TestPerAttrClusterScope(t *testing.T) {
	f := dcFleet("c-a-h0000")
	pol := mustPolicy(t, dcPolicyHead+`
[[limits.per]]
attr = "dc"
scope = "cluster"
max = 4
`)
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: 3})
	byPair := approvedBy(d, func(h string) string { return h[:3] + "/" + dcOf(h) })
	assert.Equal(t, map[string]int{"c-a/ams": 3, "c-a/fra": 4, "c-b/ams": 4, "c-b/fra": 4}, byPair)
	var sawDetail bool
	for _, x := range d.Denied {
		sawDetail = sawDetail || x.Detail == "dc ams of c-a: 4 out (per dc max 4)"
	}
	assert.True(t, sawDetail)
	require.Len(t, d.Clusters, 2)
	assert.Equal(t, "budget:per dc", d.Clusters[0].Bound.Rule)
	assert.Contains(t, d.Clusters[0].String(), "; bound by dc ")
	assert.Contains(t, d.Clusters[0].String(), "(per dc max 4) and 1 more")
}

// TestPerAttrBudgetsIntersect: a host needs headroom in every budget:
// racks of 10 with per_rack 2 (20 racks: 40), dc max 30 fleet-wide
// (60), the cluster cap 50 each. The racks bind: exactly 40, 2 a rack;
// with dc max 15 the dcs bind first: exactly 30, 15 a dc, never 3 in a
// rack.
func TestPerAttrBudgetsIntersect(t *testing.T) {
	f := dcFleet()
	for _, tc := range []struct {
		dcMax, want int
		rule        string
	}{{30, 40, RuleRack}, {15, 30, "budget:per dc"}} {
		pol := mustPolicy(t, dcPolicyHead+fmt.Sprintf(`
[limits]
per_rack = 2
[[limits.per]]
attr = "dc"
max = %d
`, tc.dcMax))
		d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 9})
		require.Len(t, d.Approved, tc.want, "dc max %d", tc.dcMax)
		for r, n := range approvedBy(d, func(h string) string { var i int; _, _ = sscanHost(h, &i); return h[:3] + fmtRack(i*2) }) {
			assert.LessOrEqual(t, n, 2, r)
		}
		for dc, n := range approvedBy(d, dcOf) {
			assert.LessOrEqual(t, n, tc.dcMax, dc)
		}
		assert.Positive(t, countRule(d, tc.rule))
	}
}

// TestRackLimitNamedOnClusterLine: 40 hosts in two racks of 20, cap 20,
// per_rack 2: 4 approved, and the cluster's line names the rack that
// bound (both refused 18: the first by name) as text and JSON.
func TestRackLimitNamedOnClusterLine(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-a", n: 40, perRack: 20})
	pol := mustPolicy(t, dcPolicyHead+"[limits]\nper_rack = 2\n")
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 1})
	require.Len(t, d.Approved, 4)
	require.Len(t, d.Clusters, 1)
	assert.Equal(t, "c-a (d): 50% of 40 = 20 (floor 1, ceiling none); unavailable 0 = none; headroom 20; bound by rack c-a-r000 (per_rack 2) and 1 more",
		d.Clusters[0].String())
	assert.Equal(t, &Bound{Rule: RuleRack, Attr: "rack", Value: "c-a-r000", Limit: "per_rack 2", Denied: 18, More: 1}, d.Clusters[0].Bound)

	none := decide(t, f.Snapshot(), mustPolicy(t, dcPolicyHead), nil, Request{Verb: "drain", Expr: "all", Seed: 1})
	assert.Nil(t, none.Clusters[0].Bound, "the cluster budget bound: no attribute budget named")
	assert.False(t, strings.Contains(none.Clusters[0].String(), "bound by"))
}

// TestPercentRate: 30%/10m on a 10-host cluster lets exactly 3 start in
// 10 minutes; the 4th is refused with the rate's arithmetic; once the
// window has passed, 3 more.
func TestPercentRate(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-a", n: 10})
	pol := mustPolicy(t, `
[[archetype]]
name = "d"
any = { pct = 100 }
[verb.reboot]
rate = "30%/10m"
lease = "1h"
`)
	req := Request{Verb: "reboot", Expr: "all", Seed: 1}
	d := decide(t, f.Snapshot(), pol, nil, req)
	require.Len(t, d.Approved, 3)
	assert.Equal(t, 7, countRule(d, RuleRate))
	assert.Equal(t, "reboot rate 30% of 10 = 3 per 10m0s in c-a: 3 started in the window", d.Denied[0].Detail)
	l := leaseAll(&store.Ledger{}, d)

	req.Now = t0.Add(10 * time.Minute) // the window holds starts at exactly now-10m
	again := decide(t, f.Snapshot(), pol, l, req)
	assert.Empty(t, again.Approved)
	assert.Equal(t, 7, countRule(again, RuleRate), "the 4th start is refused")

	req.Now = t0.Add(10*time.Minute + time.Second)
	after := decide(t, f.Snapshot(), pol, l, req)
	assert.Len(t, after.Approved, 3, "after the window, a new 3")
}

// TestPercentRateFloor: 5% of 10 is 0, raised to the floor: 1 by
// default, rate_floor otherwise (0 lets nothing start).
func TestPercentRateFloor(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-a", n: 10})
	for _, tc := range []struct {
		floor  string
		want   int
		detail string
	}{
		{"", 1, "reboot rate 5% of 10 = 0 → 1 (floor 1) per 1h0m0s in c-a: 1 started in the window"},
		{"rate_floor = 2\n", 2, "reboot rate 5% of 10 = 0 → 2 (floor 2) per 1h0m0s in c-a: 2 started in the window"},
		{"rate_floor = 0\n", 0, "reboot rate 5% of 10 = 0 per 1h0m0s in c-a: 0 started in the window"},
	} {
		pol := mustPolicy(t, "[[archetype]]\nname = \"d\"\nany = { pct = 100 }\n[verb.reboot]\nrate = \"5%/1h\"\n"+tc.floor)
		d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: "all", Seed: 1})
		assert.Len(t, d.Approved, tc.want, tc.floor)
		require.NotEmpty(t, d.Denied)
		assert.Equal(t, tc.detail, d.Denied[0].Detail)
	}
}

// TestPerAttrMissingAttribute: a [[limits.per]] over an attribute the
// pass lacks checks nothing and says so.
func TestPerAttrMissingAttribute(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-a", n: 10})
	pol := mustPolicy(t, dcPolicyHead+"[[limits.per]]\nattr = \"pdu\"\nmax = 1\n")
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 1})
	assert.Len(t, d.Approved, 5)
	assert.Contains(t, d.Notes, "per pdu budget not checked: pass 1 has no attribute pdu")
}
