package actions

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
)

// Cluster gates (policy [[archetype.gate]], [[cluster."NAME".gate]]): a
// named condition `count(EXPR) OP N` over the pass, evaluated once per
// cluster a decision touches with the cluster's hosts bound to `this`.
// The first gate of a cluster that does not hold denies every candidate
// of that cluster with gate:NAME and the value it evaluated to; a gate
// that cannot be evaluated (a name the pass lacks) denies the same way,
// fail closed, saying why. Gates are checked after the invariants and
// before the budgets, and --force does not lift them.

// gateVerdict is what a cluster's gates say: no rule when all hold.
type gateVerdict struct {
	rule, detail string
}

// evalGates judges the gates of each cluster code (clusters are the
// column's values, code 0 being ""); hosts are the touched clusters'.
func evalGates(env *query.Env, clusters []string, hosts []policy.Cluster, classes map[string]policy.Class) []gateVerdict {
	out := make([]gateVerdict, len(clusters))
	members := make(map[string]*roaring.Bitmap, len(hosts))
	for _, c := range hosts {
		members[c.Name] = c.Hosts
	}
	for i, name := range clusters {
		if this, ok := members[name]; ok && name != "" {
			out[i] = clusterGates(env, this, classes[name].Gates)
		}
	}
	return out
}

// clusterGates is the first of gates that fails over the cluster's hosts.
func clusterGates(env *query.Env, this *roaring.Bitmap, gates []policy.Gate) gateVerdict {
	for _, g := range gates {
		genv := &query.Env{Ctx: env.Ctx, Snap: env.Snap, Seed: env.Seed, Bindings: map[string]*roaring.Bitmap{policy.GateThis: this}}
		got, ok, err := query.EvalCondition(genv, g.Cond)
		switch {
		case err != nil:
			return gateVerdict{RuleGatePrefix + g.Name, fmt.Sprintf("%s cannot be evaluated: %v (fail closed)", g.Cond, err)}
		case !ok:
			return gateVerdict{RuleGatePrefix + g.Name, gateDetail(g.Cond, got)}
		}
	}
	return gateVerdict{}
}

// gateDetail is `count(under_replicated & this) = 3, want == 0`.
func gateDetail(c *query.Condition, got uint64) string {
	return fmt.Sprintf("count(%s) = %d, want %s %d", c.Expr, got, c.Op, c.Want)
}

// gateNames are the names every gate of the policy reads (not `this`),
// for the evidence a decision checks the age of.
func gateNames(pol *policy.Policy) []string {
	var out []string
	add := func(gs []policy.Gate) {
		for _, g := range gs {
			for _, n := range g.Cond.Names() {
				if n != policy.GateThis {
					out = append(out, n)
				}
			}
		}
	}
	for _, a := range pol.Archetypes {
		add(a.Gates)
	}
	for _, o := range pol.Clusters {
		add(o.Gates)
	}
	return out
}
