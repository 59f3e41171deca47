package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
)

var errTimeTravel = errors.New("archetype conditions are evaluated in the current pass only (no @)")

// Class is how one cluster is budgeted for one verb.
type Class struct {
	Cluster   string
	Archetype string
	// Exception is set when a [cluster."NAME"] entry gave the archetype
	// or the budget.
	Exception bool
	Budget    Budget
	// HasBudget is false when neither the cluster's exception nor its
	// archetype gives the verb (or `any`) a budget: the verb is refused
	// there, fail closed.
	HasBudget bool
	// Constraints are the archetype's constraints with the exception's
	// keys over them (they do not depend on the verb).
	Constraints Constraints
	// Gates are the cluster's gates: its archetype's, then its
	// exception's (which replace an archetype gate of the same name).
	Gates []Gate
}

// Classify assigns every cluster an archetype (a [cluster."NAME"]
// exception naming one, else the first archetype whose condition holds)
// and the budget for verb (the exception's, else the archetype's verb
// entry, else its `any` entry). Conditions are query expressions over
// the clusters of pass.
func (p *Policy) Classify(ctx context.Context, pass fleet.Pass, clusters []Cluster, verb string) (map[string]Class, error) {
	if !IsVerb(verb) {
		return nil, fmt.Errorf("%w %q", ErrUnknownVerb, verb)
	}
	m, err := p.Match(ctx, pass, clusters)
	if err != nil {
		return nil, err
	}
	return m.Classes(verb)
}

// Matched are the archetypes whose conditions the clusters of a pass
// meet (Match): what Classify computes before the verb's budgets, which
// does not depend on the verb, so classes for several verbs evaluate the
// conditions once.
type Matched struct {
	p        *Policy
	clusters []Cluster
	names    []string // the first matching archetype of each cluster, "" for none
}

// Match evaluates every archetype's condition over clusters of pass.
func (p *Policy) Match(ctx context.Context, pass fleet.Pass, clusters []Cluster) (*Matched, error) {
	cp := newClusterPass(pass, clusters)
	matched := make([]string, len(clusters))
	for _, a := range p.Archetypes {
		hit, err := evalCondition(ctx, cp, a)
		if err != nil {
			return nil, err
		}
		for i := range clusters {
			if matched[i] == "" && (hit == nil || hit.Contains(uint32(i))) {
				matched[i] = a.Name
			}
		}
	}
	return &Matched{p: p, clusters: clusters, names: matched}, nil
}

// Classes are the clusters' classes for verb, as Classify returns them.
func (m *Matched) Classes(verb string) (map[string]Class, error) {
	if !IsVerb(verb) {
		return nil, fmt.Errorf("%w %q", ErrUnknownVerb, verb)
	}
	out := make(map[string]Class, len(m.clusters))
	for i, c := range m.clusters {
		out[c.Name] = m.p.class(c.Name, m.names[i], verb)
	}
	return out, nil
}

// evalCondition returns the clusters matching an archetype's condition,
// or nil for an archetype without one (it matches every cluster).
func evalCondition(ctx context.Context, cp *clusterPass, a Archetype) (hit interface{ Contains(uint32) bool }, err error) {
	if a.Clusters == "" {
		return nil, nil
	}
	st, err := query.Parse(a.Clusters)
	if err != nil {
		return nil, fmt.Errorf("archetype %s: clusters = %q: %w", a.Name, a.Clusters, err)
	}
	r, err := query.Run(&query.Env{Ctx: ctx, Snap: cp, Seed: 1}, st)
	if err != nil {
		return nil, fmt.Errorf("archetype %s: clusters = %q: %w", a.Name, a.Clusters, err)
	}
	if r.Kind != query.HostsResult {
		return nil, fmt.Errorf("archetype %s: clusters = %q: a condition must be a set of clusters, not a table or count", a.Name, a.Clusters)
	}
	return r.Hosts, nil
}

func (p *Policy) class(cluster, archetype, verb string) Class {
	c := Class{Cluster: cluster, Archetype: archetype}
	o, ok := p.Clusters[cluster]
	if ok && o.Archetype != "" {
		c.Archetype, c.Exception = o.Archetype, true
	}
	c.Constraints = p.constraintsOf(c.Archetype, o)
	if a := p.archetype(c.Archetype); a != nil {
		c.Gates = a.Gates
	}
	c.Gates = mergeGates(c.Gates, o.Gates)
	if ok {
		if b, found := pick(o.Budgets, verb); found {
			c.Budget, c.HasBudget, c.Exception = b, true, true
			return c
		}
	}
	if a := p.archetype(c.Archetype); a != nil {
		c.Budget, c.HasBudget = pick(a.Budgets, verb)
	}
	return c
}

func pick(budgets map[string]Budget, verb string) (Budget, bool) {
	if b, ok := budgets[verb]; ok {
		return b, true
	}
	b, ok := budgets["any"]
	return b, ok
}

// constraintsOf is an archetype's constraints with an exception's keys
// over them.
func (p *Policy) constraintsOf(archetype string, o Override) Constraints {
	base := noConstraints
	if a := p.archetype(archetype); a != nil {
		base = a.Constraints
	}
	return o.constraints.over(base)
}
