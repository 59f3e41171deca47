package actions

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// constraintRef is a random round's constraints, per cluster, as the
// reference checker reads them: -1 where a constraint is not set.
type constraintRef struct {
	minHealthy map[string]int     // hosts
	capPct     map[string]float64 // min_capacity on attribute cap, pct
	capMin     map[string]float64 // or min
	maxDown    map[string]int
	capOf      map[string]float64 // each host's cap (absent: no value)
}

// randomConstraints gives some clusters of a random round constraints
// (as exceptions appended to the round's policy) and every host a random
// integer cap, a few none; min_healthy only when the policy has health.
func randomConstraints(rng *rand.Rand, f *querytest.Fleet, a fleetAttrs, health bool) (string, constraintRef) {
	ref := constraintRef{map[string]int{}, map[string]float64{}, map[string]float64{}, map[string]int{}, map[string]float64{}}
	for _, h := range slices.Sorted(maps.Keys(a.cluster)) {
		if rng.IntN(10) > 0 {
			ref.capOf[h] = float64(1 + rng.IntN(100))
		}
	}
	f.Newest().SetNumber("cap", ref.capOf)
	sizes := map[string]int{}
	for _, c := range a.cluster {
		sizes[c]++
	}
	var b strings.Builder
	for _, c := range slices.Sorted(maps.Keys(sizes)) {
		fmt.Fprintf(&b, "\n[cluster.%q]\n", c)
		if health && rng.IntN(2) == 0 {
			m := sizes[c] - rng.IntN(sizes[c]/4+2)
			if rng.IntN(2) == 0 {
				pct := rng.IntN(101)
				fmt.Fprintf(&b, "min_healthy = \"%d%%\"\n", pct)
				m = policy.MinCount{Pct: float64(pct)}.Of(sizes[c])
			} else {
				fmt.Fprintf(&b, "min_healthy = %d\n", max(m, 0))
			}
			ref.minHealthy[c] = max(m, 0)
		}
		switch rng.IntN(3) {
		case 0:
			pct := 50 + rng.IntN(51)
			fmt.Fprintf(&b, "min_capacity = [{ attr = \"cap\", pct = %d }]\n", pct)
			ref.capPct[c] = float64(pct)
		case 1:
			m := float64(rng.IntN(sizes[c]*50 + 1))
			fmt.Fprintf(&b, "min_capacity = [{ attr = \"cap\", min = %v }]\n", m)
			ref.capMin[c] = m
		}
		if rng.IntN(2) == 0 {
			ref.maxDown[c] = rng.IntN(sizes[c]/4 + 2)
			fmt.Fprintf(&b, "max_undrained_down = %d\n", ref.maxDown[c])
		}
	}
	return b.String(), ref
}

// checkConstraintsRound decides a drain and a reboot under the round's
// policy with random constraints added, and checks every budget and every
// constraint against the fleet's own data.
func checkConstraintsRound(t *testing.T, rng *rand.Rand, f *querytest.Fleet, a fleetAttrs, pol *policy.Policy, ledger *store.Ledger, held map[string]bool, msg string) {
	extra, ref := randomConstraints(rng, f, a, pol.Health != "")
	pol2 := mustPolicy(t, string(pol.Text)+extra)
	for _, verb := range []string{"drain", "reboot"} {
		d := decide(t, f.Snapshot(), pol2, ledger, Request{Verb: verb, Expr: "all", Seed: rng.Uint64()})
		checkDecision(t, d, a, pol2.PerRack, pol2.MaxGroups, held, msg+" "+verb)
		checkConstraints(t, d, a, ref, ledger, held, verb, msg+" "+verb)
	}
}

// checkConstraints checks a decision against the reference: in every
// cluster where a host was approved, the healthy hosts left, the cap in
// service left and the hosts down without a drain keep their bounds.
func checkConstraints(t *testing.T, d *Decision, a fleetAttrs, ref constraintRef, l *store.Ledger, held map[string]bool, verb, msg string) {
	approved := map[string]bool{}
	touched := map[string]bool{}
	for _, h := range d.Approved {
		approved[h], touched[a.cluster[h]] = true, true
	}
	drainLeased := map[string]bool{}
	for _, x := range l.Leases {
		if x.Verb == "drain" && held[x.Host] {
			drainLeased[x.Host] = true
		}
	}
	healthy, left, total, reported := map[string]int{}, map[string]float64{}, map[string]float64{}, map[string]int{}
	downBefore, downAfter := map[string]int{}, map[string]int{}
	for h, c := range a.cluster {
		inService := a.life[h] == "active" && !held[h]
		v, ok := ref.capOf[h]
		if ok {
			total[c] += v
			reported[c]++
		}
		if inService && !approved[h] {
			healthy[c]++
			left[c] += v
		}
		if !inService && !drainLeased[h] {
			downBefore[c]++
			downAfter[c]++
		}
		if inService && approved[h] && takesDown[verb] {
			downAfter[c]++
		}
	}
	for c := range touched {
		if m, ok := ref.minHealthy[c]; ok {
			require.GreaterOrEqual(t, healthy[c], m, "%s: %s under min_healthy", msg, c)
		}
		if pct, ok := ref.capPct[c]; ok {
			require.Positive(t, reported[c], "%s: %s approved without cap data", msg, c)
			require.GreaterOrEqual(t, left[c], total[c]*pct/100, "%s: %s under min_capacity %v%%", msg, c, pct)
		}
		if m, ok := ref.capMin[c]; ok {
			require.Positive(t, reported[c], "%s: %s approved without cap data", msg, c)
			require.GreaterOrEqual(t, left[c], m, "%s: %s under min_capacity %v", msg, c, m)
		}
		if m, ok := ref.maxDown[c]; ok && downAfter[c] > downBefore[c] {
			require.LessOrEqual(t, downAfter[c], m, "%s: %s over max_undrained_down", msg, c)
		}
	}
}
