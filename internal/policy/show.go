package policy

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/fleet"
)

// Effective is what applies to one cluster, and where each part of it
// is written: what `fleetq policy show CLUSTER` prints.
type Effective struct {
	Cluster   string       `json:"cluster"`
	Pass      int64        `json:"pass"`
	Size      int          `json:"size"`
	Archetype string       `json:"archetype"`
	ArchFrom  string       `json:"archetype_from"` // FILE:LINE, or "condition" text
	Verbs     []VerbEffect `json:"verbs"`
	// Settings are every key of the policy that applies to the cluster
	// (global keys, its archetype's, its exception's), flattened to
	// leaves, each with its file and line: keys fleetq learns later are
	// listed without this code knowing them.
	Settings []Setting `json:"settings"`
	// Windows are the [windows] rules that may apply to its hosts
	// (windows.go); absent without a [windows] section.
	Windows *WindowsEffect `json:"windows,omitempty"`
}

// VerbEffect is one verb's budget and rules on the cluster.
type VerbEffect struct {
	Verb       string `json:"verb"`
	Budget     string `json:"budget"` // the arithmetic, "none (refused)", or "not budgeted"
	BudgetFrom string `json:"budget_from,omitempty"`
	Lease      string `json:"lease"`
	LeaseFrom  string `json:"lease_from,omitempty"`
	Rate       string `json:"rate,omitempty"`
	RateFrom   string `json:"rate_from,omitempty"`
	Cooldown   string `json:"cooldown,omitempty"`
	CoolFrom   string `json:"cooldown_from,omitempty"`
}

// Setting is one key that applies, its value and where it is written.
type Setting struct {
	Layer string `json:"layer"` // global, archetype NAME, cluster NAME
	Key   string `json:"key"`
	Value string `json:"value"`
	Where string `json:"where"`
}

// Show computes the effective constraints of cluster in pass.
func (p *Policy) Show(ctx context.Context, pass fleet.Pass, cluster string) (*Effective, error) {
	clusters, err := Clusters(pass, p.ClusterAttr)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(clusters, func(c Cluster) bool { return c.Name == cluster })
	if i < 0 {
		return nil, fmt.Errorf("no cluster %q in pass %d (%s = %q on no host)", cluster, pass.ID(), p.ClusterAttr, cluster)
	}
	e := &Effective{Cluster: cluster, Pass: pass.ID(), Size: clusters[i].Size()}
	for _, v := range Verbs {
		cls, err := p.Classify(ctx, pass, clusters, v)
		if err != nil {
			return nil, err
		}
		e.Verbs = append(e.Verbs, p.verbEffect(cls[cluster], v, e.Size))
	}
	cls, _ := p.Classify(ctx, pass, clusters, Verbs[0])
	e.Archetype = cls[cluster].Archetype
	e.ArchFrom = p.archFrom(cluster, e.Archetype)
	e.Settings = p.settings(cluster, e.Archetype)
	if e.Windows, err = p.windowsEffect(pass, clusters[i]); err != nil {
		return nil, err
	}
	return e, nil
}

func (p *Policy) archFrom(cluster, archetype string) string {
	if o, ok := p.Clusters[cluster]; ok && o.Archetype != "" {
		return p.loc("cluster." + cluster + ".archetype")
	}
	i := slices.IndexFunc(p.Archetypes, func(a Archetype) bool { return a.Name == archetype })
	if i < 0 {
		return ""
	}
	return p.loc(fmt.Sprintf("archetype[%d]", i))
}

func (p *Policy) verbEffect(c Class, verb string, size int) VerbEffect {
	r := p.Rules(verb)
	ve := VerbEffect{Verb: verb, Lease: fmtDuration(r.Lease), LeaseFrom: p.loc("verb." + verb + ".lease")}
	if ve.LeaseFrom == "" {
		ve.LeaseFrom = p.loc("lease")
	}
	switch {
	case !r.Budgeted:
		ve.Budget = "not budgeted"
	case !c.HasBudget:
		ve.Budget = "none: refused on this cluster (fail closed)"
	default:
		ve.Budget, ve.BudgetFrom = c.Budget.Cap(size).String(), p.budgetFrom(c, verb)
	}
	if !r.Rate.IsZero() {
		ve.Rate, ve.RateFrom = fmt.Sprintf("%d/%s", r.Rate.N, fmtDuration(r.Rate.Window)), p.loc("verb."+verb+".rate")
	}
	if r.Cooldown > 0 {
		ve.Cooldown, ve.CoolFrom = fmtDuration(r.Cooldown), p.loc("verb."+verb+".cooldown")
	}
	return ve
}

// budgetFrom is where the budget class picked is written: the
// exception's verb or any entry, else the archetype's.
func (p *Policy) budgetFrom(c Class, verb string) string {
	key := func(m map[string]Budget) string {
		if _, ok := m[verb]; ok {
			return verb
		}
		return "any"
	}
	if o, ok := p.Clusters[c.Cluster]; ok {
		if _, found := pick(o.Budgets, verb); found {
			return p.loc("cluster." + c.Cluster + "." + key(o.Budgets))
		}
	}
	i := slices.IndexFunc(p.Archetypes, func(a Archetype) bool { return a.Name == c.Archetype })
	if i < 0 {
		return ""
	}
	return p.loc(fmt.Sprintf("archetype[%d].%s", i, key(p.Archetypes[i].Budgets)))
}

// loc renders where the key at path is written, "" for a default.
func (p *Policy) loc(path string) string {
	l := p.sources().exact(path)
	if l.File == "" {
		return ""
	}
	if p.IsDir() {
		l.File = filepath.Join(p.Path, filepath.FromSlash(l.File))
	}
	return l.String()
}

// settings flattens the keys that apply to cluster: the global ones,
// its archetype's, its exception's.
func (p *Policy) settings(cluster, archetype string) []Setting {
	tree := p.sources().tree
	var out []Setting
	add := func(layer, prefix string, v any, key string) {
		flatten(v, key, func(k, val string) {
			out = append(out, Setting{Layer: layer, Key: k, Value: val, Where: p.loc(prefix + k)})
		})
	}
	for _, k := range slices.Sorted(maps.Keys(tree)) {
		if k != "archetype" && k != "cluster" {
			add("global", "", tree[k], k)
		}
	}
	if arr, ok := tableArray(tree["archetype"]); ok {
		for i, a := range arr {
			if a["name"] == archetype {
				for _, k := range slices.Sorted(maps.Keys(a)) {
					add("archetype "+archetype, fmt.Sprintf("archetype[%d].", i), a[k], k)
				}
			}
		}
	}
	if cs, ok := tree["cluster"].(map[string]any); ok {
		if c, ok := cs[cluster].(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(c)) {
				add("cluster "+cluster, "cluster."+cluster+".", c[k], k)
			}
		}
	}
	return out
}

// flatten calls fn for every leaf under v, keys dotted from key.
func flatten(v any, key string, fn func(k, val string)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			flatten(x[k], key+"."+k, fn)
		}
	default:
		if arr, ok := tableArray(v); ok {
			for i, e := range arr {
				flatten(e, fmt.Sprintf("%s[%d]", key, i), fn)
			}
			return
		}
		fn(key, tomlValue(v))
	}
}

// tomlValue renders a decoded TOML leaf as TOML writes it.
func tomlValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = tomlValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// fmtDuration writes 2h, 30m, 1h30m, 24h (not 2h0m0s).
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
