package policy

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
)

// Expr is one query expression of a policy and where it is written.
type Expr struct {
	Key  string // as the file spells it: health, rollout.health, archetype.clusters
	Text string
	Line int // 1-based line of the key in the file; 0 when not found
	// File is the file the key is written in (the policy's path for a
	// single file; DIR/NAME for a directory).
	File string
	// Of names the archetype whose condition this is ("" otherwise).
	Of string
	// Clusters is set for archetype conditions: they are evaluated over
	// the clusters of a pass, not its hosts.
	Clusters bool
	// Gate is the name of the cluster gate this condition is ("" for
	// set expressions); Of names its archetype, or Cluster its exception.
	Gate    string
	Cluster string
	// Lenient is set for decommissioned: the verbs read an expression
	// that does not evaluate (a fleet without lifecycle) as the empty
	// set, so its failure is a warning, not an error.
	Lenient bool
}

// Expressions lists every query expression of the policy, in file order
// of keys: unavailable, health, decommissioned, each archetype's clusters
// condition, rollout.health. Empty ones are left out.
func (p *Policy) Expressions() []Expr {
	var out []Expr
	add := func(e Expr, path string) {
		e.File, e.Line = p.where(path)
		if strings.TrimSpace(e.Text) != "" {
			out = append(out, e)
		}
	}
	add(Expr{Key: "unavailable", Text: p.Unavailable}, "unavailable")
	add(Expr{Key: "health", Text: p.Health}, "health")
	add(Expr{Key: "decommissioned", Text: p.Decommissioned, Lenient: true}, "decommissioned")
	for i, a := range p.Archetypes {
		add(Expr{Key: "archetype.clusters", Text: a.Clusters, Of: a.Name, Clusters: true}, fmt.Sprintf("archetype[%d].clusters", i))
	}
	out = append(out, p.gateExprs()...)
	out = append(out, p.driftExprs()...)
	out = append(out, p.windowExprs()...)
	// rollout.health defaults to health: checked once, where it is written.
	if _, line := p.where("rollout.health"); line != 0 || p.Rollout.Health != p.Health {
		add(Expr{Key: "rollout.health", Text: p.Rollout.Health}, "rollout.health")
	}
	return out
}

// where is the file and line of the key at path: in a directory, the
// file that sets it (0 and the directory when none does); in a single
// file its line, found as keyLine always found it.
func (p *Policy) where(path string) (string, int) {
	if !p.IsDir() {
		table, key := "", path
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			table, key = path[:i], path[i+1:]
		}
		nth := 0
		if j := strings.IndexByte(table, '['); j >= 0 {
			nth, _ = strconv.Atoi(strings.TrimSuffix(table[j+1:], "]"))
			table = table[:j]
		}
		return p.Path, keyLine(string(p.Text), table, nth, key)
	}
	l := p.sources().exact(path)
	if l.File == "" {
		return p.Path, 0
	}
	return filepath.Join(p.Path, filepath.FromSlash(l.File)), l.Line
}

// AttrRef is an attribute the policy names by itself (not in an
// expression): cluster_attr, rack_attr, replica_group_attr, rollout.metrics.
type AttrRef struct {
	Key  string
	Name string
	Line int
	File string
}

// AttrRefs lists the attributes the policy names, empty ones left out.
func (p *Policy) AttrRefs() []AttrRef {
	var out []AttrRef
	for _, r := range []AttrRef{
		{Key: "cluster_attr", Name: p.ClusterAttr},
		{Key: "rack_attr", Name: p.RackAttr},
		{Key: "replica_group_attr", Name: p.GroupAttr},
	} {
		if r.Name != "" {
			r.File, r.Line = p.where(r.Key)
			out = append(out, r)
		}
	}
	out = append(out, p.capacityRefs()...)
	out = append(out, p.driftRefs()...)
	out = append(out, p.windowRefs()...)
	for _, m := range p.Rollout.Metrics {
		r := AttrRef{Key: "rollout.metrics", Name: strings.TrimPrefix(m, "-")}
		r.File, r.Line = p.where(r.Key)
		out = append(out, r)
	}
	return out
}

// ExprCheck is what compiling and evaluating one expression found.
type ExprCheck struct {
	Expr
	Err      error
	Warnings []string // query warnings: a compared value no host has
	Size     uint64   // hosts (or clusters) in the result
}

// CheckExpressions compiles and evaluates every expression against the
// current pass of snap, as the action verbs would: host expressions over
// its hosts, archetype conditions over its clusters. It reports each one;
// nothing is decided.
func (p *Policy) CheckExpressions(ctx context.Context, snap fleet.Snapshot) []ExprCheck {
	pass := snap.Current()
	clusters, err := Clusters(pass, p.ClusterAttr)
	cp := newClusterPass(pass, clusters)
	exprs := p.Expressions()
	out := make([]ExprCheck, len(exprs))
	for i, e := range exprs {
		s := snap
		if e.Clusters {
			s = cp
		}
		if e.Clusters && err != nil {
			out[i] = ExprCheck{Expr: e, Err: err} // the clusters cannot be read
			continue
		}
		if e.Gate != "" {
			out[i] = checkGate(ctx, snap, e)
			continue
		}
		out[i] = checkExpr(ctx, s, e)
	}
	return out
}

// gateExprs are the gates' conditions, archetypes first, then exceptions
// by cluster name.
func (p *Policy) gateExprs() []Expr {
	var out []Expr
	nth := 0
	for i, a := range p.Archetypes {
		for j, g := range a.Gates {
			file, line := p.lineOf(fmt.Sprintf("archetype[%d].gate[%d].expr", i, j), "archetype.gate", nth, "expr")
			out = append(out, Expr{Key: "gate", Text: g.Expr, Of: a.Name, Gate: g.Name, File: file, Line: line})
			nth++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		for j, g := range p.Clusters[name].Gates {
			table := fmt.Sprintf("cluster.%q.gate", name)
			file, line := p.lineOf(fmt.Sprintf("cluster.%s.gate[%d].expr", name, j), table, j, "expr")
			out = append(out, Expr{Key: "gate", Text: g.Expr, Cluster: name, Gate: g.Name, File: file, Line: line})
		}
	}
	return out
}

// lineOf is the file and line of a key inside an array of tables: in a
// single file the nth header of table, then key; in a directory the
// merged path's origin.
func (p *Policy) lineOf(path, table string, nth int, key string) (string, int) {
	if !p.IsDir() {
		return p.Path, keyLine(string(p.Text), table, nth, key)
	}
	return p.where(path)
}

// checkGate compiles and evaluates a gate's condition with `this` bound
// to every host of the pass (a decision binds one cluster's hosts);
// Size is the count.
func checkGate(ctx context.Context, snap fleet.Snapshot, e Expr) ExprCheck {
	c := ExprCheck{Expr: e}
	cond, err := query.ParseCondition(e.Text)
	if err != nil {
		c.Err = err
		return c
	}
	env := &query.Env{Ctx: ctx, Snap: snap, Seed: 1, Bindings: map[string]*roaring.Bitmap{GateThis: snap.Current().All()}}
	c.Size, _, c.Err = query.EvalCondition(env, cond)
	c.Warnings = env.Warnings
	return c
}

func checkExpr(ctx context.Context, snap fleet.Snapshot, e Expr) ExprCheck {
	c := ExprCheck{Expr: e}
	env := &query.Env{Ctx: ctx, Snap: snap, Seed: 1}
	st, err := query.Parse(e.Text)
	if err == nil {
		err = query.Resolve(snap.Current(), st)
	}
	if err != nil {
		c.Err = err
		return c
	}
	if st.Bind != "" {
		c.Err = fmt.Errorf("%q: an expression, not a binding", e.Text)
		return c
	}
	r, err := query.Run(env, st)
	c.Warnings = env.Warnings
	switch {
	case err != nil:
		c.Err = err
	case r.Kind != query.HostsResult:
		c.Err = fmt.Errorf("%q: must be a set, not a count, table or batches", e.Text)
	default:
		c.Size = r.Hosts.GetCardinality()
	}
	return c
}

var (
	tableHeader = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(\[\[?)\s*([^\]]*?)\s*\]\]?`) })
	keyStart    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)\s*=`) })
)

// keyLine finds the line of key in table (the nth [[table]] for arrays;
// "" is the top level) of a TOML text, or 0. Keys inside inline tables
// are not found.
func keyLine(text, table string, nth int, key string) int {
	cur, seen := "", map[string]int{}
	idx := 0
	for i, line := range strings.Split(text, "\n") {
		if m := tableHeader().FindStringSubmatch(line); m != nil {
			cur = m[2]
			idx = seen[cur]
			seen[cur]++
			continue
		}
		if m := keyStart().FindStringSubmatch(line); m != nil && m[1] == key && cur == table && idx == nth {
			return i + 1
		}
	}
	return 0
}
