package actions

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// Evidence is one input a decision read and how old it was against the
// decision's clock: the pass itself, and each source snapshot behind a
// name that an invariant, a budget, the unavailable expression or the
// health set reads.
type Evidence struct {
	Source string    `json:"source"` // "pass 3", or kind:name
	Path   string    `json:"path,omitempty"`
	ReadAt time.Time `json:"read_at"`
	Age    string    `json:"age"`
	AgeSec int64     `json:"age_seconds"`
	MaxAge string    `json:"max_age"`
	Stale  bool      `json:"stale"`
	UsedBy []string  `json:"used_by,omitempty"`
}

// Sourced is a pass that can name the source snapshots behind a set or
// attribute and the expression of a stored definition set (the store's
// pass view). A pass that cannot is judged by its own age alone.
type Sourced interface {
	SourcesOf(name string) []store.SourceInfo
	DefinitionOf(name string) (string, bool)
}

// gatherEvidence lists the pass and every source the decision depends on,
// oldest first, each marked stale when older than the policy allows.
func gatherEvidence(pass fleet.Pass, pol *policy.Policy, verb string, now time.Time) []Evidence {
	age := now.Sub(pass.Created())
	out := []Evidence{{Source: fmt.Sprintf("pass %d", pass.ID()), ReadAt: pass.Created(), Age: agefmt.Age(age),
		AgeSec: int64(age.Seconds()), MaxAge: agefmt.Age(pol.MaxEvidenceAge), Stale: age > pol.MaxEvidenceAge}}
	src, ok := pass.(Sourced)
	if !ok {
		return out
	}
	byKey := map[string]*Evidence{}
	for use, names := range dependencies(pass, pol, verb) {
		for _, s := range sourcesBehind(src, pass, names) {
			key := s.Kind + ":" + s.Name
			e, ok := byKey[key]
			if !ok {
				e = sourceEvidence(s, pol, now)
				byKey[key] = e
			}
			if !slices.Contains(e.UsedBy, use) {
				e.UsedBy = append(e.UsedBy, use)
			}
		}
	}
	for _, e := range byKey {
		sort.Strings(e.UsedBy)
		out = append(out, *e)
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].Source < out[1+j].Source })
	return out
}

func sourceEvidence(s store.SourceInfo, pol *policy.Policy, now time.Time) *Evidence {
	age, limit := now.Sub(s.ReadAt), pol.EvidenceAgeOf(s.Kind)
	return &Evidence{Source: s.Kind + ":" + s.Name, Path: s.Path, ReadAt: s.ReadAt, Age: agefmt.Age(age),
		AgeSec: int64(age.Seconds()), MaxAge: agefmt.Age(limit), Stale: age > limit}
}

// budgetAttrs are the attributes the budgets read: the cluster, the rack
// and every [[limits.per]] attribute.
func budgetAttrs(pol *policy.Policy) []string {
	out := []string{pol.ClusterAttr, pol.RackAttr}
	for _, l := range pol.Per {
		out = append(out, l.Attr)
	}
	return out
}

// dependencies are the names each part of a decision reads, by the part.
func dependencies(pass fleet.Pass, pol *policy.Policy, verb string) map[string][]string {
	deps := map[string][]string{
		"budgets":         budgetAttrs(pol),
		RuleReplicaGroups: {pol.GroupAttr},
		"unavailable":     exprNames(pass, pol.Unavailable),
		"health":          exprNames(pass, pol.Health),
		"gates":           gateNames(pol),
	}
	if pol.ControlPlaneOut {
		deps["unavailable"] = append(deps["unavailable"], "hdfs.state", "yarn.state")
	}
	if attrs, undrained := pol.ConstraintAttrs(); len(attrs) > 0 || undrained {
		deps["constraints"] = constraintNames(attrs, undrained && takesDown[verb])
	}
	if unservingVerbs[verb] {
		for _, cp := range pol.ControlPlanes {
			deps[RuleUnserved] = append(deps[RuleUnserved], cp, cp+".state")
		}
	}
	return deps
}

// exprNames are the names a policy expression reads from the pass ("" or
// an expression that does not parse reads none: evaluating it fails).
func exprNames(pass fleet.Pass, expr string) []string {
	if expr == "" {
		return nil
	}
	st, err := query.Parse(expr)
	if err != nil || query.Resolve(pass, st) != nil {
		return nil
	}
	return query.Names(st)
}

// sourcesBehind follows names to their source snapshots, through stored
// definition sets to the names their expressions read.
func sourcesBehind(src Sourced, pass fleet.Pass, names []string) []store.SourceInfo {
	var out []store.SourceInfo
	seen := map[string]bool{}
	var walk func(names []string, depth int)
	walk = func(names []string, depth int) {
		for _, n := range names {
			if n == "" || seen[n] || depth > 64 {
				continue
			}
			seen[n] = true
			out = append(out, src.SourcesOf(n)...)
			if def, ok := src.DefinitionOf(n); ok {
				walk(exprNames(pass, def), depth+1)
			}
		}
	}
	walk(names, 0)
	return out
}

// staleDetail is why the evidence cannot be trusted, or "" when it can.
func staleDetail(ev []Evidence) string {
	var parts []string
	for _, e := range ev {
		if !e.Stale {
			continue
		}
		what := e.Source
		if len(e.UsedBy) > 0 {
			what += " (read by " + strings.Join(e.UsedBy, ", ") + ")"
		}
		parts = append(parts, fmt.Sprintf("%s is %s old, max %s", what, e.Age, e.MaxAge))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + ": ingest fresh sources, or --force --reason"
}
