package actions

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query/querytest"
)

// randomPer is the property test's random [[limits.per]] budgets and
// percentage rate: the generator writes them into the policy, the
// checker recomputes every cap from the fleet's own attributes.
type randomPer struct {
	limits []randomLimit
	attrs  map[string]map[string]string // attribute → host → value
	// ratePct is the drain rate's percentage (-1: no percentage rate),
	// rateFloor its floor.
	ratePct, rateFloor int
}

type randomLimit struct {
	attr    string
	cluster bool // scope = "cluster"
	max     int  // -1: pct
	pct     int
	floor   int
}

// randomPerLimits adds a random attribute "pdu" (a few values, some hosts
// without one) to the fleet and draws up to three [[limits.per]] over
// it, the rack or the replica group, and sometimes a percentage rate.
func randomPerLimits(rng *rand.Rand, f *querytest.Fleet, a fleetAttrs) *randomPer {
	pdu := map[string]string{}
	values := 1 + rng.IntN(5)
	for _, h := range slices.Sorted(maps.Keys(a.cluster)) {
		if rng.IntN(10) > 0 {
			pdu[h] = fmt.Sprintf("pdu%d", rng.IntN(values))
		}
	}
	f.Newest().SetString("pdu", pdu)
	p := &randomPer{attrs: map[string]map[string]string{"pdu": pdu, "rack": a.rack, "replica_group": a.group}, ratePct: -1}
	seen := map[string]bool{}
	for i := rng.IntN(4); i > 0; i-- {
		l := randomLimit{attr: []string{"pdu", "rack", "replica_group"}[rng.IntN(3)], cluster: rng.IntN(2) == 0, max: -1}
		if seen[fmt.Sprint(l.attr, l.cluster)] {
			continue
		}
		seen[fmt.Sprint(l.attr, l.cluster)] = true
		if rng.IntN(2) == 0 {
			l.max = rng.IntN(6)
		} else {
			l.pct, l.floor = rng.IntN(40), rng.IntN(3)
		}
		p.limits = append(p.limits, l)
	}
	if rng.IntN(2) == 0 {
		p.ratePct, p.rateFloor = rng.IntN(50), rng.IntN(3)
	}
	return p
}

func (p *randomPer) toml() string {
	var b strings.Builder
	for _, l := range p.limits {
		scope := map[bool]string{true: "cluster", false: "fleet"}[l.cluster]
		if l.max >= 0 {
			fmt.Fprintf(&b, "[[limits.per]]\nattr = %q\nscope = %q\nmax = %d\n", l.attr, scope, l.max)
		} else {
			fmt.Fprintf(&b, "[[limits.per]]\nattr = %q\nscope = %q\npct = %d\nfloor = %d\n", l.attr, scope, l.pct, l.floor)
		}
	}
	return b.String()
}

// rateTOML is the [verb.drain] table of the percentage rate, if any.
func (p *randomPer) rateTOML() string {
	if p.ratePct < 0 {
		return ""
	}
	return fmt.Sprintf("[verb.drain]\nrate = \"%d%%/1h\"\nrate_floor = %d\n", p.ratePct, p.rateFloor)
}

// check asserts from the fleet's data that no approval took a value (or
// cluster and value) of any [[limits.per]] over its cap, counting the
// hosts out as the budgets do (down and leased each cost one), and that
// no cluster started more than its percentage rate allows in the window
// (prev: an earlier decision in the same window, whose approvals are
// starts).
func (p *randomPer) check(t *testing.T, d *Decision, a fleetAttrs, leased map[string]bool, prev *Decision, msg string) {
	budgeted := map[string]bool{}
	for _, c := range d.Clusters {
		budgeted[c.Cluster] = c.Budgeted
	}
	for _, l := range p.limits {
		vals := p.attrs[l.attr]
		key := func(h string) string {
			v := vals[h]
			if v == "" {
				return ""
			}
			if l.cluster {
				return a.cluster[h] + "/" + v
			}
			return v
		}
		size, before := map[string]int{}, map[string]int{}
		for h := range a.cluster {
			k := key(h)
			if k == "" {
				continue
			}
			size[k]++
			if a.life[h] != "active" {
				before[k]++
			}
			if leased[h] {
				before[k]++
			}
		}
		after := copyCounts(before)
		for _, h := range d.Approved {
			if k := key(h); k != "" && budgeted[a.cluster[h]] {
				after[k]++
			}
		}
		for k, n := range after {
			if n > before[k] {
				cap := l.max
				if cap < 0 {
					cap = max(l.pct*size[k]/100, l.floor)
				}
				require.LessOrEqual(t, n, cap, "%s: %s %s over its [[limits.per]] %+v (size %d, %d out before)", msg, l.attr, k, l, size[k], before[k])
			}
		}
	}
	p.checkRate(t, d, a, prev, msg)
}

func (p *randomPer) checkRate(t *testing.T, d *Decision, a fleetAttrs, prev *Decision, msg string) {
	if p.ratePct < 0 {
		return
	}
	size, started := map[string]int{}, map[string]int{}
	for h, c := range a.cluster {
		size[c]++
		_ = h
	}
	for _, x := range []*Decision{prev, d} {
		if x == nil {
			continue
		}
		for _, h := range x.Approved {
			started[a.cluster[h]]++
		}
	}
	for c, n := range started {
		limit := max(p.ratePct*size[c]/100, p.rateFloor)
		require.LessOrEqual(t, n, limit, "%s: cluster %s started %d, rate %d%%/1h of %d (floor %d)", msg, c, n, p.ratePct, size[c], p.rateFloor)
	}
}
