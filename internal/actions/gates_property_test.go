package actions

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// randomGateSet is the random property test's gates: a random set
// under_replicated in the fleet's pass and, on random clusters, a gate
// with a random comparison, as [cluster."NAME".gate] exceptions.
type randomGateSet struct {
	policy string
	bad    map[string]bool
	gates  map[string]func(n int) bool // by cluster: does the gate hold for n bad hosts
}

var gateOps = map[string]func(a, b int) bool{
	"==": func(a, b int) bool { return a == b }, "!=": func(a, b int) bool { return a != b },
	"<": func(a, b int) bool { return a < b }, "<=": func(a, b int) bool { return a <= b },
	">": func(a, b int) bool { return a > b }, ">=": func(a, b int) bool { return a >= b },
}

func randomGates(rng *rand.Rand, f *querytest.Fleet, a fleetAttrs) randomGateSet {
	g := randomGateSet{bad: map[string]bool{}, gates: map[string]func(int) bool{}}
	var bad []string
	for _, h := range slices.Sorted(maps.Keys(a.cluster)) {
		if rng.IntN(30) == 0 {
			bad, g.bad[h] = append(bad, h), true
		}
	}
	f.Newest().AddSet("under_replicated", bad...)
	ops := slices.Sorted(maps.Keys(gateOps))
	var b strings.Builder
	for _, c := range slices.Sorted(maps.Values(a.cluster)) {
		if _, done := g.gates[c]; done || rng.IntN(2) == 0 {
			continue
		}
		op, want := ops[rng.IntN(len(ops))], rng.IntN(3)
		fmt.Fprintf(&b, "[[cluster.%q.gate]]\nname = \"urp\"\nexpr = 'count(under_replicated & this) %s %d'\n", c, op, want)
		g.gates[c] = func(n int) bool { return gateOps[op](n, want) }
	}
	g.policy = b.String()
	return g
}

// check: no host of a cluster whose gate fails is approved, every
// candidate of it is denied by the gate or an earlier rule (an
// invariant), and a cluster whose gate holds has no gate denial.
func (g randomGateSet) check(t *testing.T, d *Decision, a fleetAttrs, msg string) {
	bad := map[string]int{}
	for h := range g.bad {
		bad[a.cluster[h]]++
	}
	failing := map[string]bool{}
	for c, holds := range g.gates {
		failing[c] = !holds(bad[c])
	}
	for _, h := range d.Approved {
		assert.False(t, failing[a.cluster[h]], "%s: %s approved, its cluster's gate fails (%d bad)", msg, h, bad[a.cluster[h]])
	}
	for _, x := range d.Denied {
		if x.Rule == "gate:urp" {
			assert.True(t, failing[x.Cluster], "%s: %s denied by a gate that holds", msg, x.Host)
			assert.Equal(t, fmt.Sprintf("count(under_replicated & this) = %d, ", bad[x.Cluster]), x.Detail[:strings.Index(x.Detail, "want")], msg)
		} else if failing[x.Cluster] {
			assert.True(t, strings.HasPrefix(x.Rule, "invariant:"), "%s: %s of a gated cluster denied by %s, not the gate", msg, x.Host, x.Rule)
		}
	}
}

// randomExprFreeze adds, half the time, a freeze by expression over
// random racks to the ledger; check asserts no host it holds is approved
// (the request has no --force).
type randomFreeze struct{ held map[string]bool }

func randomExprFreeze(rng *rand.Rand, a fleetAttrs, l *store.Ledger) randomFreeze {
	fr := randomFreeze{held: map[string]bool{}}
	if rng.IntN(2) == 0 {
		return fr
	}
	var racks []string
	for _, r := range slices.Sorted(maps.Keys(invert(a.rack))) {
		if rng.IntN(3) == 0 {
			racks = append(racks, fmt.Sprintf("%q", r))
		}
	}
	if len(racks) == 0 {
		return fr
	}
	expr := fmt.Sprintf("rack in (%s)", strings.Join(racks, ", "))
	l.Freezes = append(l.Freezes, store.Freeze{Scope: expr, Expr: expr, Reason: "r", Requester: "p", Start: t0.Add(-time.Hour)})
	for h, r := range a.rack {
		if slices.Contains(racks, fmt.Sprintf("%q", r)) {
			fr.held[h] = true
		}
	}
	return fr
}

func invert(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, v := range m {
		out[v] = true
	}
	return out
}

func (fr randomFreeze) check(t *testing.T, d *Decision, msg string) {
	for _, h := range d.Approved {
		assert.False(t, fr.held[h], "%s: %s approved, held by a freeze by expression", msg, h)
	}
	for _, x := range d.Denied {
		if x.Rule == RuleFreeze {
			assert.True(t, fr.held[x.Host], "%s: %s denied by a freeze that does not hold it", msg, x.Host)
		}
	}
}
