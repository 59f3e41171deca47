package policy

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Cluster constraints beside the budgets (issue 15): a minimum of healthy
// hosts, minimums of capacity (the sum of a numeric attribute), and a
// maximum of hosts down without having been drained. They are keys of an
// [[archetype]] and of a [cluster."NAME"] exception; an exception's key
// replaces the archetype's key of the same name (min_capacity as a whole
// list), the others are inherited.

// Constraints are the constraints that apply to one cluster.
type Constraints struct {
	// MinHealthy is nil when the cluster has no minimum of healthy hosts.
	MinHealthy *MinCount
	// MinCapacity are the capacity minimums, in the order written.
	MinCapacity []CapacityMin
	// MaxUndrainedDown is -1 when there is no maximum.
	MaxUndrainedDown int
}

// IsZero reports whether no constraint applies.
func (c Constraints) IsZero() bool {
	return c.MinHealthy == nil && len(c.MinCapacity) == 0 && c.MaxUndrainedDown < 0
}

// MinCount is a minimum number of hosts: a count, or a percentage of the
// cluster's size ("95%").
type MinCount struct {
	Count int     // when Pct < 0
	Pct   float64 // -1: a count
}

// UnmarshalTOML reads `min_healthy = 390` or `min_healthy = "95%"`.
func (m *MinCount) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 || x > math.MaxInt32 {
			return fmt.Errorf("min_healthy = %d: must be a count from 0 (or a percentage like \"95%%\")", x)
		}
		*m = MinCount{Count: int(x), Pct: -1}
		return nil
	case string:
		s, ok := strings.CutSuffix(strings.TrimSpace(x), "%")
		pct, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || math.IsNaN(pct) || pct < 0 || pct > 100 {
			return fmt.Errorf("min_healthy = %q: expected a count (390) or a percentage from 0%% to 100%% (\"95%%\")", x)
		}
		if y := pct * pctScale; math.Abs(y-math.Round(y)) > 1e-6 {
			return fmt.Errorf("min_healthy = %q: at most 4 decimals", x)
		}
		*m = MinCount{Pct: pct}
		return nil
	}
	return fmt.Errorf("min_healthy = %v: expected a count (390) or a percentage (\"95%%\")", v)
}

// Of is the minimum for a cluster of size hosts. A percentage rounds UP
// (95% of 412 is 391.4, so 392): rounding never loosens a minimum.
func (m MinCount) Of(size int) int {
	if m.Pct < 0 {
		return m.Count
	}
	ppm := int64(math.Round(m.Pct * pctScale))
	return int((ppm*int64(size) + 100*pctScale - 1) / (100 * pctScale))
}

// String is the minimum as written: "390", "95%".
func (m MinCount) String() string {
	if m.Pct < 0 {
		return strconv.Itoa(m.Count)
	}
	return strconv.FormatFloat(m.Pct, 'f', -1, 64) + "%"
}

// CapacityMin is one capacity minimum: the sum of Attr over the hosts of
// a cluster still in service stays at or above Min, or at or above Pct
// percent of the sum over all the cluster's hosts in the pass.
type CapacityMin struct {
	Attr string   `toml:"attr"`
	Pct  *float64 `toml:"pct"`
	Min  *float64 `toml:"min"`
}

func (c CapacityMin) validate() error {
	switch {
	case c.Attr == "":
		return fmt.Errorf("attr is required (the numeric attribute summed, e.g. \"cores\")")
	case (c.Pct == nil) == (c.Min == nil):
		return fmt.Errorf("attr %q: give exactly one of pct (of the cluster's total) or min (an absolute sum)", c.Attr)
	case c.Pct != nil && (math.IsNaN(*c.Pct) || *c.Pct < 0 || *c.Pct > 100):
		return fmt.Errorf("attr %q: pct = %v: must be between 0 and 100", c.Attr, *c.Pct)
	case c.Min != nil && (math.IsNaN(*c.Min) || math.IsInf(*c.Min, 0) || *c.Min < 0):
		return fmt.Errorf("attr %q: min = %v: must be a number from 0", c.Attr, *c.Min)
	}
	return nil
}

// rawConstraints are the constraint keys of an archetype or exception.
type rawConstraints struct {
	MinHealthy       *MinCount      `toml:"min_healthy"`
	MinCapacity      *[]CapacityMin `toml:"min_capacity"`
	MaxUndrainedDown *int           `toml:"max_undrained_down"`
}

func (r rawConstraints) validate(where string, health string) error {
	if r.MinHealthy != nil && health == "" {
		return fmt.Errorf("%s: min_healthy needs the policy's health expression (health = '…'): without one fleetq cannot tell a healthy host from one merely present", where)
	}
	if r.MaxUndrainedDown != nil && *r.MaxUndrainedDown < 0 {
		return fmt.Errorf("%s: max_undrained_down = %d: must not be negative", where, *r.MaxUndrainedDown)
	}
	if r.MinCapacity == nil {
		return nil
	}
	seen := map[string]bool{}
	for i, c := range *r.MinCapacity {
		if err := c.validate(); err != nil {
			return fmt.Errorf("%s: min_capacity[%d]: %v", where, i, err)
		}
		if seen[c.Attr] {
			return fmt.Errorf("%s: min_capacity: attr %q given twice", where, c.Attr)
		}
		seen[c.Attr] = true
	}
	return nil
}

// over returns base with every key r sets replaced.
func (r rawConstraints) over(base Constraints) Constraints {
	if r.MinHealthy != nil {
		m := *r.MinHealthy
		base.MinHealthy = &m
	}
	if r.MinCapacity != nil {
		base.MinCapacity = append([]CapacityMin(nil), (*r.MinCapacity)...)
	}
	if r.MaxUndrainedDown != nil {
		base.MaxUndrainedDown = *r.MaxUndrainedDown
	}
	return base
}

// noConstraints is the zero of Constraints (no maximum is -1).
var noConstraints = Constraints{MaxUndrainedDown: -1}

// ConstraintAttrs are the attributes the constraints of any archetype or
// exception sum (min_capacity), sorted, for the evidence a decision lists.
func (p *Policy) ConstraintAttrs() (attrs []string, undrained bool) {
	seen := map[string]bool{}
	add := func(c Constraints) {
		for _, m := range c.MinCapacity {
			if !seen[m.Attr] {
				seen[m.Attr] = true
				attrs = append(attrs, m.Attr)
			}
		}
		undrained = undrained || c.MaxUndrainedDown >= 0
	}
	for _, a := range p.Archetypes {
		add(a.Constraints)
	}
	for _, o := range p.Clusters {
		add(o.constraints.over(noConstraints))
	}
	sort.Strings(attrs)
	return attrs, undrained
}

// capacityRefs are the attributes min_capacity sums, where written: the
// archetypes' in file order, then the exceptions' by cluster name.
func (p *Policy) capacityRefs() []AttrRef {
	var out []AttrRef
	for i, a := range p.Archetypes {
		file, line := p.lineOf(fmt.Sprintf("archetype[%d].min_capacity", i), "archetype", i, "min_capacity")
		for _, m := range a.Constraints.MinCapacity {
			out = append(out, AttrRef{Key: "min_capacity.attr", Name: m.Attr, Line: line, File: file})
		}
	}
	names := make([]string, 0, len(p.Clusters))
	for name := range p.Clusters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if c := p.Clusters[name].constraints.MinCapacity; c != nil {
			file, line := p.lineOf(fmt.Sprintf("cluster.%s.min_capacity", name), fmt.Sprintf("cluster.%q", name), 0, "min_capacity")
			for _, m := range *c {
				out = append(out, AttrRef{Key: "min_capacity.attr", Name: m.Attr, Line: line, File: file})
			}
		}
	}
	return out
}
