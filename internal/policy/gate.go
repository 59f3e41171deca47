package policy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"

	"github.com/fleetq/fleetq/internal/query"
)

// Gate is a cluster gate: a named condition over the pass (`count(EXPR)
// OP N`), evaluated once per cluster a decision touches with the
// cluster's own hosts bound to GateThis. While it does not hold, every
// candidate of that cluster is denied `gate:NAME` (transient).
type Gate struct {
	Name string
	Expr string
	Cond *query.Condition
}

// GateThis is the name a gate's expression reads the cluster's own hosts
// by (`count(under_replicated & this) == 0`).
const GateThis = "this"

// MaxGates bounds a policy's gates (distinct names): a denial's rule is
// a small number in a decision's marks.
const MaxGates = 64

type rawGate struct {
	Name string `toml:"name"`
	Expr string `toml:"expr"`
}

var gateName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`) })

// buildGates compiles the gates of an archetype or an exception (where
// names them in errors).
func buildGates(where string, raw []rawGate) ([]Gate, error) {
	var out []Gate
	seen := map[string]bool{}
	for i, g := range raw {
		switch {
		case g.Name == "":
			return nil, fmt.Errorf("%s: gate %d has no name", where, i+1)
		case !gateName().MatchString(g.Name):
			return nil, fmt.Errorf("%s: gate name %q: expected letters, digits, _ . - (it becomes the rule gate:NAME)", where, g.Name)
		case seen[g.Name]:
			return nil, fmt.Errorf("%s: gate %q defined twice", where, g.Name)
		case g.Expr == "":
			return nil, fmt.Errorf("%s: gate %s: expr is missing (e.g. expr = 'count(under_replicated & this) == 0')", where, g.Name)
		}
		seen[g.Name] = true
		c, err := query.ParseCondition(g.Expr)
		if err != nil {
			return nil, fmt.Errorf("%s: gate %s: expr = '%s': %v", where, g.Name, g.Expr, err)
		}
		out = append(out, Gate{Name: g.Name, Expr: g.Expr, Cond: c})
	}
	return out, nil
}

// mergeGates is an archetype's gates and then an exception's: an
// exception's gate of the same name replaces the archetype's.
func mergeGates(arch, exc []Gate) []Gate {
	if len(exc) == 0 {
		return arch
	}
	out := make([]Gate, 0, len(arch)+len(exc))
	for _, g := range arch {
		if !hasGate(exc, g.Name) {
			out = append(out, g)
		}
	}
	return append(out, exc...)
}

func hasGate(gs []Gate, name string) bool {
	for _, g := range gs {
		if g.Name == name {
			return true
		}
	}
	return false
}

// GateNames are the distinct names of every gate of the policy, sorted
// by first appearance (archetypes, then exceptions by name).
func (p *Policy) GateNames() []string {
	var out []string
	add := func(gs []Gate) {
		for _, g := range gs {
			if !slices.Contains(out, g.Name) {
				out = append(out, g.Name)
			}
		}
	}
	for _, a := range p.Archetypes {
		add(a.Gates)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		add(p.Clusters[name].Gates)
	}
	return out
}

func (p *Policy) validateGateCount() error {
	if n := len(p.GateNames()); n > MaxGates {
		return fmt.Errorf("%d distinct gate names: at most %d", n, MaxGates)
	}
	return nil
}
