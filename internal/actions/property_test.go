package actions

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// TestBudgetsHoldOnRandomFleets decides random requests on random fleets
// with random leases and policies, then checks from the fleet's own data
// (not the decision's report) that no cluster went over its cap, no rack
// over its limit, no cluster into more than K replica groups, no host got
// two leases, and every candidate was either approved or denied.
func TestBudgetsHoldOnRandomFleets(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	for round := 0; round < 150; round++ {
		checkRandomRound(t, rng, fmt.Sprintf("seed %d round %d", seed, round))
	}
}

func checkRandomRound(t *testing.T, rng *rand.Rand, msg string) {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	var specs []clusterSpec
	for i := 0; i < 1+rng.IntN(4); i++ {
		n := rng.IntN(125) // at most 500 hosts: max_request
		specs = append(specs, clusterSpec{name: fmt.Sprintf("c%d-%s", i, []string{"dense", "web"}[rng.IntN(2)]),
			n: n, perRack: 1 + rng.IntN(20), groups: rng.IntN(4), dead: rng.IntN(n/4 + 1), repair: rng.IntN(n/8 + 1)})
		addCluster(a, specs[i])
	}
	if len(a.cluster) == 0 {
		return
	}
	f := buildFleet(specs...)
	per := randomPerLimits(rng, f, a)
	gates := randomGates(rng, f, a)
	perRack, k, pct := rng.IntN(4), 1, rng.IntN(30)
	health := []string{"", `health = 'lifecycle = "active"'`}[rng.IntN(2)]
	pol := mustPolicy(t, fmt.Sprintf(health+`
unavailable = 'lifecycle in (dead, repair)'
max_replica_groups = %d
[[archetype]]
name = "small"
clusters = "size < 20"
any = { pct = %d, floor = %d, ceiling = %d }
[[archetype]]
name = "d"
any = { pct = %d, floor = 1, ceiling = %d }
%s
[limits]
per_rack = %d
%s`, k, pct, rng.IntN(3), 3+rng.IntN(3), pct, 5+rng.IntN(20), per.rateTOML(), perRack, per.toml())+gates.policy)
	hosts := slices.Sorted(maps.Keys(a.cluster))
	pass := fleetCreated
	ledger := &store.Ledger{}
	for _, h := range hosts {
		switch rng.IntN(40) {
		case 0, 1: // active
			ledger.Leases = append(ledger.Leases, store.Lease{Host: h, Verb: "drain", Cluster: a.cluster[h], Start: t0.Add(-time.Hour), Expiry: t0.Add(time.Hour)})
		case 2: // expired, granted before the pass: free once healthy there, else stuck
			ledger.Leases = append(ledger.Leases, store.Lease{Host: h, Verb: "drain", Cluster: a.cluster[h], Start: pass.Add(-2 * time.Hour), Expiry: pass.Add(-time.Hour)})
		case 3: // expired, granted after the pass was sealed: no evidence since, stuck
			ledger.Leases = append(ledger.Leases, store.Lease{Host: h, Verb: "drain", Cluster: a.cluster[h], Start: pass.Add(time.Minute), Expiry: t0.Add(-time.Minute)})
		}
	}
	frz := randomExprFreeze(rng, a, ledger)
	d := decide(t, f.Snapshot(), pol, ledger, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: rng.Uint64()})
	frz.check(t, d, msg)
	held := heldHosts(ledger, a, pol.Health != "", pass)
	checkDecision(t, d, a, pol.PerRack, pol.MaxGroups, held, msg)
	per.check(t, d, a, held, nil, msg)
	checkConstraintsRound(t, rng, f, a, pol, ledger, held, msg+" (constraints)")
	gates.check(t, d, a, msg)
	// Deciding again on top of the leases just granted keeps every limit
	// too (the next committer sees this one's leases).
	next := leaseAll(ledger, d)
	d2 := decide(t, f.Snapshot(), pol, next, Request{Verb: "drain", Expr: "all", Seed: rng.Uint64()})
	checkDecision(t, d2, a, pol.PerRack, pol.MaxGroups, heldHosts(next, a, pol.Health != "", pass), msg+" (second)")
	per.check(t, d2, a, heldHosts(next, a, pol.Health != "", pass), d, msg+" (second)")
	gates.check(t, d2, a, msg+" (second)")
	checkWindowsRound(t, rng, f, a, ledger, msg+" (windows)")
}

// heldHosts is the reference for which leases still hold their host: an
// active lease, or an expired one whose host is not back in the health
// set (lifecycle active) on a pass sealed after the lease (stuck).
func heldHosts(l *store.Ledger, a fleetAttrs, health bool, pass time.Time) map[string]bool {
	held := map[string]bool{}
	for _, x := range l.Leases {
		recovered := health && pass.After(x.Start) && a.life[x.Host] == "active"
		if x.Expiry.After(t0) || !recovered {
			held[x.Host] = true
		}
	}
	return held
}

func checkDecision(t *testing.T, d *Decision, a fleetAttrs, perRack, k int, leased map[string]bool, msg string) {
	require.Equal(t, d.Requested, len(d.Approved)+len(d.Denied), msg)
	outC, outR := map[string]int{}, map[string]int{}
	groups := map[string]map[string]bool{}
	for h, life := range a.life {
		if life != "active" {
			outC[a.cluster[h]]++
			outR[a.rack[h]]++
		}
		if leased[h] {
			outC[a.cluster[h]]++
			outR[a.rack[h]]++
			addGroup(groups, a.cluster[h], a.group[h])
		}
	}
	before := copyCounts(outR)
	beforeC := copyCounts(outC)
	beforeG := map[string]int{}
	for c, gs := range groups {
		beforeG[c] = len(gs)
	}
	for _, h := range d.Approved {
		require.False(t, leased[h], "%s: %s approved while leased", msg, h)
		outC[a.cluster[h]]++
		outR[a.rack[h]]++
		addGroup(groups, a.cluster[h], a.group[h])
	}
	for _, c := range d.Clusters {
		if outC[c.Cluster] > beforeC[c.Cluster] {
			require.LessOrEqual(t, outC[c.Cluster], c.Arith.Cap, "%s: cluster %s over its cap", msg, c.Cluster)
		}
	}
	for r, n := range outR {
		if perRack > 0 && n > before[r] {
			require.LessOrEqual(t, n, perRack, "%s: rack %s over per_rack", msg, r)
		}
	}
	for c, gs := range groups {
		if len(gs) > beforeG[c] && len(gs) > k {
			require.Fail(t, "replica groups", "%s: cluster %s has groups %v in maintenance, K=%d", msg, c, gs, k)
		}
	}
}

func addGroup(groups map[string]map[string]bool, cluster, g string) {
	if g == "" {
		return
	}
	if groups[cluster] == nil {
		groups[cluster] = map[string]bool{}
	}
	groups[cluster][g] = true
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
